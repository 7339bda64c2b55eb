import { z } from 'zod';
import { CAPABILITY_NAME, MAX_TASK_CAPABILITIES } from '../agents/capability-catalog';
import { jsonValueSchema } from '../http/json-value.schema';

export const TASK_ID = /^[A-Za-z0-9_.-]{1,64}$/;
export const FAILURE_POLICIES = ['fail', 'continue', 'ask'] as const;
export const TASK_KINDS = ['task', 'approval', 'wait', 'signal'] as const;
/** The kinds of task that run no agent: they wait (for a time, or for a signal) without a worker slot. */
export const WAITING_KINDS: ReadonlySet<string> = new Set(['wait', 'signal']);
/** The longest durable wait, and the furthest `until`: 366 days. */
export const MAX_WAIT_MS = 366 * 24 * 3600 * 1000;
/** A signal's name: as a task id. */
export const SIGNAL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Task priorities run from 0 (the default) to this; higher runs first. */
export const MAX_TASK_PRIORITY = 1000;

const taskId = z.string().regex(TASK_ID, 'must be 1 to 64 letters, digits, "_", "." or "-"');

/** One task of a plan, as the wire contract defines it. Children nest to any depth. */
export const taskSpecSchema = z
  .object({
    id: taskId,
    title: z.string().max(200).optional(),
    capabilities: z
      .array(z.string().regex(CAPABILITY_NAME, 'must be a capability name in lower snake case'))
      .min(1, 'needs at least one capability')
      .optional()
      .describe(
        `The capabilities an agent needs to take the task: at most ${MAX_TASK_CAPABILITIES}, each once. Required, except for kinds \`wait\` and \`signal\`, which take none`,
      ),
    agentType: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a lower-case agent type')
      .optional(),
    input: jsonValueSchema.optional(),
    get dependsOn() {
      return z
        .array(taskId)
        .optional()
        .describe('Ids of tasks anywhere in the plan that must finish first; its children wait for them too, and every one of them gets their results');
    },
    get children() {
      return z.array(taskSpecSchema).optional();
    },
    priority: z.number().int().min(0).max(MAX_TASK_PRIORITY).optional(),
    attempts: z.number().int().min(1).max(100).optional(),
    backoffMs: z.number().int().min(0).max(3_600_000).optional(),
    timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
    onFailure: z.enum(FAILURE_POLICIES).optional(),
    kind: z.enum(TASK_KINDS).optional(),
    durationMs: z.number().int().min(0).max(MAX_WAIT_MS).optional().describe('Kind `wait`: how long it waits, from when it starts waiting'),
    until: z.iso.datetime({ offset: true }).optional().describe('Kind `wait`: the time it waits until (ISO 8601), instead of `durationMs`'),
    signal: z
      .string()
      .regex(SIGNAL_NAME, 'must be 1 to 64 letters, digits, "_", "." or "-"')
      .optional()
      .describe('Kind `signal`: the name of the signal it waits for (`POST .../sessions/:id/signals/:name`); with `timeoutMs`, how long it waits'),
  })
  .strict()
  .meta({ id: 'Task', description: 'One task of a plan; `children` nest to any depth' });

/**
 * A task of a plan. Its `children` are named as TaskSpec again, not left to inference: emitted
 * declarations (the @switchyard/agents package's types) would flatten the recursive schema's
 * children to `Record<string, unknown>[]`.
 */
export type TaskSpec = Omit<z.infer<typeof taskSpecSchema>, 'children'> & { children?: TaskSpec[] };

export const planSchema = z
  .object({
    tasks: z.array(taskSpecSchema).min(1, 'a plan needs at least one task'),
  })
  .strict()
  .meta({ id: 'Plan' });

export type Plan = z.infer<typeof planSchema>;
