import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { AGENT_ID, jsonValueSchema, remoteCompleteSchema, remoteFailSchema, remoteHeartbeatSchema, remoteNextQuerySchema } from '@switchyard/orchestration';

/** Request and response schemas of the remote agents' task routes. */

const TASK_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export class RemoteTaskParamDto extends createZodDto(
  z.strictObject({
    id: z.string().regex(AGENT_ID, 'must be an agent id: 1 to 128 letters, digits, "_", ".", ":", "@" or "-"'),
    taskId: z.string().regex(TASK_ID, 'must be a task id: 1 to 64 letters, digits, "_", "." or "-"'),
  }),
) {}

export class RemoteNextQueryDto extends createZodDto(remoteNextQuerySchema) {}

const exampleToken = '1b4e28ba-2fa1-41d2-883f-0016d3cca427.Qm2w7RkdJ0x8f3aZbL4pVtY9uNcE1sHg';

export class RemoteHeartbeatDto extends createZodDto(remoteHeartbeatSchema.meta({ examples: [{ leaseToken: exampleToken }] })) {}

export class RemoteCompleteDto extends createZodDto(remoteCompleteSchema.meta({ examples: [{ leaseToken: exampleToken, output: { text: 'Bonjour' } }] })) {}

export class RemoteFailDto extends createZodDto(
  remoteFailSchema.meta({
    examples: [{ leaseToken: exampleToken, error: { message: 'upstream model timed out', code: 'upstream_timeout', retryable: true } }],
  }),
) {}

const remoteTaskSchema = z.object({
  sessionId: z.string(),
  taskId: z.string(),
  title: z.string().optional(),
  capabilities: z.array(z.string()),
  input: jsonValueSchema,
  dependencies: z.record(z.string(), jsonValueSchema).describe('Results of the tasks it depends on and of its children, by task id'),
  missing: z.array(z.string()).optional().describe('Dependencies and children that produced no result'),
  goal: z.string().optional(),
  attempt: z.number().int().describe('1 on the first run, 2 on the next, …'),
  shared: z.record(z.string(), jsonValueSchema).describe("The session's shared context when the task started"),
});

export class RemoteAssignmentDto extends createZodDto(
  z
    .object({
      task: remoteTaskSchema,
      leaseToken: z.string().describe('Carry it in heartbeat, complete and fail for this task'),
      leaseExpiresAt: z.string().describe('When the lease lapses without a heartbeat (then the task runs again, and this token is refused with 409)'),
    })
    .meta({
      examples: [
        {
          task: {
            sessionId: '0-3f6c2a4e-8d1b-4c3a-9e2f-5b7d1a0c9e8f',
            taskId: 'translate',
            capabilities: ['translation'],
            input: { text: 'Hello', to: 'fr' },
            dependencies: {},
            attempt: 1,
            shared: {},
          },
          leaseToken: exampleToken,
          leaseExpiresAt: '2026-11-25T12:00:30.000Z',
        },
      ],
    }),
) {}

export class RemoteLeaseDto extends createZodDto(
  z
    .object({ leaseExpiresAt: z.string().describe('The lease now lapses at this time without another heartbeat') })
    .meta({ examples: [{ leaseExpiresAt: '2026-11-25T12:01:00.000Z' }] }),
) {}

export class RemoteSettledDto extends createZodDto(
  z.object({ taskId: z.string(), accepted: z.literal(true) }).meta({ examples: [{ taskId: 'translate', accepted: true }] }),
) {}
