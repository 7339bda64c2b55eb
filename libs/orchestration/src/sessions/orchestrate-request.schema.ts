import type { SessionStatus } from './session.types';
import { z } from 'zod';
import { planSchema } from '../plans/plan.schema';
import { jsonValueSchema } from '../http/json-value.schema';
import { RESOLVE_ACTIONS } from './session.types';
import { budgetSchema } from './budget';

/** `POST /api/orchestrator/orchestrate`: exactly one of `goal`, `plan` or `template`, and an optional context. */
export const orchestrateRequestSchema = z
  .object({
    goal: z.string().trim().min(1, 'must not be empty').max(10_000, 'must be at most 10,000 characters').optional(),
    plan: planSchema.optional(),
    template: z
      .object({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a template name such as "research-report"'),
        params: z.record(z.string(), jsonValueSchema).optional(),
      })
      .strict()
      .optional(),
    context: z.record(z.string().min(1).max(256), jsonValueSchema).optional(),
    budget: budgetSchema.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const given = (['goal', 'plan', 'template'] as const).filter((k) => value[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          given.length === 0 ? 'give one of "goal", "plan" or "template"' : `give only one of "goal", "plan" and "template" (got ${given.join(' and ')})`,
      });
    }
  });

export type OrchestrateRequest = z.infer<typeof orchestrateRequestSchema>;

export interface OrchestrateAccepted {
  readonly sessionId: string;
  /** `pending` for a new session; its current status when an `Idempotency-Key` replayed it. */
  readonly status: SessionStatus;
  /** True when an `Idempotency-Key` matched an earlier request: no new session was started. */
  readonly replayed?: true;
}

/** `POST /sessions/:id/tasks/:taskId/resolve`: an operator's answer to a paused task. */
export const resolveRequestSchema = z
  .object({
    action: z.enum(RESOLVE_ACTIONS),
    output: jsonValueSchema.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.action === 'provide' && value.output === undefined) {
      ctx.addIssue({ code: 'custom', path: ['output'], message: 'is required with action "provide"' });
    }
    if (value.action !== 'provide' && value.output !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['output'], message: 'goes only with action "provide"' });
    }
  });
