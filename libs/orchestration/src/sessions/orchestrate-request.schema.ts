import { z } from 'zod';
import { planSchema } from '../plans/plan.schema';

/** `POST /api/orchestrator/orchestrate`: exactly one of `goal` or `plan`, and an optional context. */
export const orchestrateRequestSchema = z
  .object({
    goal: z.string().trim().min(1, 'must not be empty').max(10_000, 'must be at most 10,000 characters').optional(),
    plan: planSchema.optional(),
    context: z.record(z.string().min(1).max(256), z.json()).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const given = (['goal', 'plan'] as const).filter((k) => value[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: given.length === 0 ? 'give a "goal" or a "plan"' : 'give only one of "goal" and "plan"',
      });
    }
  });

export type OrchestrateRequest = z.infer<typeof orchestrateRequestSchema>;

export interface OrchestrateAccepted {
  readonly sessionId: string;
  readonly status: 'pending';
}
