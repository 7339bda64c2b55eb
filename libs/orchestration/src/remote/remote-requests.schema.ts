import { z } from 'zod';
import { jsonValueSchema } from '../http/json-value.schema';

/** The longest a remote agent's poll for its next task may wait. */
export const MAX_REMOTE_WAIT_MS = 30_000;

/** A lease token as tasks/next hands it out: the park id and the lease's secret. */
const leaseToken = z
  .string()
  .regex(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{32}$/, 'must be the leaseToken tasks/next answered with this task')
  .describe('The leaseToken tasks/next answered with this task');

/** `POST /api/orchestrator/agents/:id/tasks/next?waitMs=`. */
export const remoteNextQuerySchema = z.strictObject({
  waitMs: z.coerce
    .number({ error: 'must be a whole number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be at least 0')
    .max(MAX_REMOTE_WAIT_MS, `must be at most ${MAX_REMOTE_WAIT_MS}`)
    .default(20_000)
    .describe(`How long to wait for a task before answering 204 (0 to ${MAX_REMOTE_WAIT_MS} ms)`),
});
export type RemoteNextQuery = z.infer<typeof remoteNextQuerySchema>;

/** `POST .../agents/:id/tasks/:taskId/heartbeat`. */
export const remoteHeartbeatSchema = z.strictObject({ leaseToken });

/** `POST .../agents/:id/tasks/:taskId/complete`. */
export const remoteCompleteSchema = z.strictObject({
  leaseToken,
  output: jsonValueSchema.optional(),
});
export type RemoteComplete = z.infer<typeof remoteCompleteSchema>;

/** `POST .../agents/:id/tasks/:taskId/fail`. */
export const remoteFailSchema = z.strictObject({
  leaseToken,
  error: z.strictObject({
    message: z.string().min(1).max(4000),
    code: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be lower snake case, at most 63 characters')
      .optional(),
    retryable: z.boolean().optional().describe('false: the task is not retried, its onFailure applies at once (default true)'),
  }),
});
export type RemoteFail = z.infer<typeof remoteFailSchema>;
