import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { nullableString } from '../http/openapi';
import {
  BUDGET_LIMITS,
  budgetSchema,
  jsonValueSchema,
  orchestrateRequestSchema,
  resolveRequestSchema,
  RESOLVE_ACTIONS,
  SESSION_STATUSES,
  sessionListQuerySchema,
  SIGNAL_NAME,
  TASK_ID,
  TASK_STATUSES,
} from '@switchyard/orchestration';

/** Request and response schemas of the orchestrator routes, for validation and the OpenAPI document. */

export class OrchestrateRequestDto extends createZodDto(
  orchestrateRequestSchema.meta({
    description: 'Start a session from exactly one of `goal`, `plan` or `template`.',
    examples: [
      { goal: 'Write a report on Redis persistence', context: { audience: 'operators' } },
      {
        plan: {
          tasks: [
            { id: 'research', capabilities: ['web_research'], input: { topic: 'AOF' } },
            { id: 'draft', capabilities: ['document_creation'], dependsOn: ['research'], children: [{ id: 'outline', capabilities: ['workflow_design'] }] },
            {
              id: 'review',
              capabilities: ['code_review'],
              dependsOn: ['draft'],
              onFailure: 'continue',
              attempts: 3,
              backoffMs: 500,
              timeoutMs: 60000,
              priority: 5,
            },
          ],
        },
      },
      { template: { name: 'research-report', params: { topic: 'AOF', audience: 'operators' } } },
    ],
  }),
) {}

export class OrchestrateAcceptedDto extends createZodDto(
  z
    .object({ sessionId: z.string(), status: z.enum(SESSION_STATUSES), replayed: z.literal(true).optional() })
    .meta({ examples: [{ sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33', status: 'pending' }] }),
) {}

export const SESSION_ID_PATTERN = /^\d{1,4}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class SessionIdParamDto extends createZodDto(
  z.object({
    id: z.string().regex(SESSION_ID_PATTERN, 'must be a session id as returned by orchestrate, like 0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33'),
  }),
) {}

export class SessionListQueryDto extends createZodDto(sessionListQuerySchema) {}

const sessionSummarySchema = z
  .object({
    sessionId: z.string(),
    status: z.enum(SESSION_STATUSES),
    goal: nullableString().describe('The goal it was started from; null for a plan or a template'),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: nullableString().describe('When it completed, failed or was cancelled; null while it runs'),
    tasks: z.object({ total: z.number().int().describe('Tasks of its plan so far, subtasks included (0 while a goal is being planned)') }),
  })
  .meta({ id: 'SessionSummary' });

export class SessionPageDto extends createZodDto(
  z
    .object({
      sessions: z.array(sessionSummarySchema).describe('Newest first'),
      nextCursor: nullableString().describe('Pass as `cursor` for the next page; null at the end'),
    })
    .meta({
      examples: [
        {
          sessions: [
            {
              sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33',
              status: 'running',
              goal: 'Write a report on Redis persistence',
              createdAt: '2026-11-25T12:00:00.000Z',
              updatedAt: '2026-11-25T12:00:01.250Z',
              finishedAt: null,
              tasks: { total: 5 },
            },
            {
              sessionId: '0-1c7d9e2a-3b4f-4c5d-8e6f-7a8b9c0d1e2f',
              status: 'completed',
              goal: null,
              createdAt: '2026-11-25T11:58:30.000Z',
              updatedAt: '2026-11-25T11:58:32.100Z',
              finishedAt: '2026-11-25T11:58:32.100Z',
              tasks: { total: 3 },
            },
          ],
          nextCursor: 'MTc5NTYwOTkxMDAwMDowLTFjN2Q5ZTJhLTNiNGYtNGM1ZC04ZTZmLTdhOGI5YzBkMWUyZg',
        },
      ],
    }),
) {}

const workerSchema = z.object({ host: z.string(), pid: z.number().int() }).meta({ id: 'Worker' });
const failureSchema = z
  .object({
    message: z.string(),
    name: z.string().optional(),
    taskId: z.string().optional(),
    code: z.string().optional().describe('`budget_exceeded` when the session reached a limit of its budget'),
    limit: z.enum(BUDGET_LIMITS).optional().describe('With budget_exceeded: the limit reached'),
    used: z.number().optional().describe('With budget_exceeded: how much of that limit was used'),
    budget: budgetSchema.optional().describe('With budget_exceeded: the whole budget'),
  })
  .meta({ id: 'Failure' });

const usageSchema = z
  .object({
    promptTokens: z.number().int(),
    completionTokens: z.number().int(),
    totalTokens: z.number().int(),
    calls: z.number().int().describe('Model calls counted'),
    costUsd: z.number().describe('At SWITCHYARD_MODEL_PRICES; 0 for models without a price'),
  })
  .meta({ id: 'ModelUsage' });

const taskViewSchema = z
  .object({
    id: z.string(),
    parentId: z.string().nullable(),
    title: z.string().optional(),
    kind: z.enum(['wait', 'signal']).optional().describe('Set for the kinds that run no agent'),
    capabilities: z.array(z.string()),
    dependsOn: z.array(z.string()),
    status: z.enum(TASK_STATUSES),
    agentId: z.string().optional(),
    worker: workerSchema.optional(),
    attempts: z.number().int(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    inputFrom: z
      .array(z.string())
      .optional()
      .describe("Tasks whose results the run received as `dependencies`: what it depends on (its ancestors' dependencies too) and its children"),
    output: jsonValueSchema.optional(),
    error: failureSchema.optional(),
    waitingFor: z
      .union([z.string(), z.object({ until: z.string() }), z.object({ signal: z.string(), timeoutAt: z.string().optional() })])
      .optional()
      .describe(
        'Why it waits: a sentence (no live agent can take it, operator input, its subtasks), or, for a waiting `wait` task, `{ until }`, and for a `signal` task `{ signal, timeoutAt? }`',
      ),
    reusedFrom: z.string().optional().describe('In a forked session: the session whose output this task kept, without running'),
    usage: usageSchema.optional().describe('Model usage of its runs (every attempt), once its agent reported a model call'),
  })
  .meta({ id: 'TaskState' });

export class SessionDto extends createZodDto(
  z
    .object({
      id: z.string(),
      sessionId: z.string(),
      status: z.enum(SESSION_STATUSES),
      goal: z.string().optional(),
      template: z.string().optional().describe('The workflow template the session was started from'),
      forkedFrom: z
        .object({ sessionId: z.string(), taskId: z.string() })
        .optional()
        .describe('A fork: the session it was forked from and the task it ran again from'),
      createdAt: z.string(),
      updatedAt: z.string(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
      planning: z
        .object({
          status: z.enum(['ready', 'running', 'completed', 'failed']),
          agentId: z.string().optional(),
          worker: workerSchema.optional(),
          startedAt: z.string().optional(),
          finishedAt: z.string().optional(),
          error: failureSchema.optional(),
          waitingFor: z.string().optional(),
          rounds: z.number().int().optional().describe("Which round of the model's plan was accepted: 1 for its first plan, 2 after one repair, ..."),
          model: z.string().optional().describe('The model that wrote the accepted plan'),
        })
        .optional()
        .describe('The planner agent turning the goal into the plan (goal sessions only)'),
      plan: jsonValueSchema.optional(),
      tasks: z.array(taskViewSchema),
      context: z.record(z.string(), jsonValueSchema),
      result: jsonValueSchema.optional().describe('Once completed: `outputs` of every task, `final` outputs of the tasks nothing waits for'),
      error: failureSchema.optional(),
      budget: budgetSchema.optional().describe('The budget it was started with'),
      usage: usageSchema.optional().describe('Model usage of all its tasks and its planning, once a model call was counted'),
    })
    .meta({
      examples: [
        {
          id: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33',
          sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33',
          status: 'completed',
          goal: 'Write a report on Redis persistence',
          createdAt: '2026-11-25T12:00:00.000Z',
          updatedAt: '2026-11-25T12:00:01.200Z',
          tasks: [
            {
              id: 'research',
              parentId: null,
              capabilities: ['web_research'],
              dependsOn: [],
              status: 'completed',
              agentId: 'researcher@worker-1:4242',
              worker: { host: 'worker-1', pid: 4242 },
              attempts: 1,
              startedAt: '2026-11-25T12:00:00.300Z',
              finishedAt: '2026-11-25T12:00:00.500Z',
              output: { text: '...' },
            },
          ],
          context: { audience: 'operators' },
          result: { outputs: { research: { text: '...' } }, final: {}, completedTasks: 1 },
        },
      ],
    }),
) {}

export class TemplateDto extends createZodDto(
  z
    .object({
      name: z.string(),
      description: z.string(),
      params: z.record(z.string(), jsonValueSchema).describe("JSON Schema of the template's params"),
      example: jsonValueSchema.describe('Params that make a good first run'),
    })
    .meta({
      examples: [
        {
          name: 'research-report',
          description: 'Research a topic, write the report section by section, and review it.',
          params: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
          example: { topic: 'Redis persistence: AOF and RDB', audience: 'operators' },
        },
      ],
    }),
) {}

export class SessionCancelledDto extends createZodDto(
  z
    .object({ sessionId: z.string(), status: z.literal('cancelled') })
    .meta({ examples: [{ sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33', status: 'cancelled' }] }),
) {}

export class StreamTokenDto extends createZodDto(
  z
    .object({
      token: z.string().describe("Opens this session's event stream, as `?token=`, and nothing else; keep it out of logs and bookmarks"),
      expiresAt: z
        .string()
        .describe('ISO time after which the token opens nothing (SWITCHYARD_STREAM_TOKEN_TTL_S after it was issued): ask for a new one to reconnect later'),
      url: z.string().describe("The stream's path with the token, relative to the API's origin: hand it to `new EventSource(...)`"),
    })
    .meta({
      examples: [
        {
          token: 'syst_4Qm9xv2LbO7n1d8RkWq3Yt6eZp0sHc5uJf2GiAaVwKo',
          expiresAt: '2026-11-25T12:05:00.000Z',
          url: '/api/orchestrator/sessions/0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33/events?token=syst_4Qm9xv2LbO7n1d8RkWq3Yt6eZp0sHc5uJf2GiAaVwKo',
        },
      ],
    }),
) {}

export class TaskParamsDto extends createZodDto(
  z.object({
    id: z.string().regex(SESSION_ID_PATTERN, 'must be a session id as returned by orchestrate, like 0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33'),
    taskId: z.string().regex(TASK_ID, 'must be a task id: 1 to 64 letters, digits, "_", "." or "-"'),
  }),
) {}

export class SignalParamsDto extends createZodDto(
  z.object({
    id: z.string().regex(SESSION_ID_PATTERN, 'must be a session id as returned by orchestrate, like 0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33'),
    name: z.string().regex(SIGNAL_NAME, 'must be a signal name: 1 to 64 letters, digits, "_", "." or "-"'),
  }),
) {}

export class SignalRequestDto extends createZodDto(
  z
    .object({ payload: jsonValueSchema.optional().describe('Any JSON: the output of the task that waits for the signal (null when absent)') })
    .strict()
    .meta({ examples: [{ payload: { approvedBy: 'ops', ticket: 'OPS-42' } }] }),
) {}

export class SignalAnswerDto extends createZodDto(
  z
    .object({
      sessionId: z.string(),
      signal: z.string(),
      taskId: z.string().describe('The task that received the signal'),
      taskStatus: z.enum(TASK_STATUSES).describe('ready: its job completes it with the payload in a moment'),
    })
    .meta({ examples: [{ sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33', signal: 'approved', taskId: 'await-approval', taskStatus: 'ready' }] }),
) {}

export class ForkRequestDto extends createZodDto(
  z
    .object({
      fromTask: z
        .string()
        .regex(TASK_ID, 'must be a task id: 1 to 64 letters, digits, "_", "." or "-"')
        .describe('The task to run again, with every task that waits on it'),
      input: jsonValueSchema.optional().describe("`fromTask`'s input in the new session (else its old one)"),
      context: z
        .record(z.string(), jsonValueSchema)
        .optional()
        .describe("A JSON Merge Patch over the old session's shared context (a key set to null is removed)"),
    })
    .strict()
    .meta({ examples: [{ fromTask: 'draft', input: { tone: 'shorter' }, context: { audience: 'executives' } }] }),
) {}

export class ForkAcceptedDto extends createZodDto(
  z
    .object({
      sessionId: z.string(),
      status: z.enum(SESSION_STATUSES),
      forkedFrom: z.object({ sessionId: z.string(), taskId: z.string() }),
      rerun: z.array(z.string()).describe('The tasks that run again, in plan order'),
      reused: z.array(z.string()).describe('The tasks that keep their old output without running (`reusedFrom` on each)'),
    })
    .meta({
      examples: [
        {
          sessionId: '0-1c9e4b7a-2f3d-4e5a-8b6c-7d8e9f0a1b2c',
          status: 'pending',
          forkedFrom: { sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33', taskId: 'draft' },
          rerun: ['draft', 'review'],
          reused: ['research'],
        },
      ],
    }),
) {}

export class ResolveRequestDto extends createZodDto(
  resolveRequestSchema.meta({
    description: 'retry: run the task again; skip: finish it without a result; provide: finish it with `output`; abort: fail the session',
    examples: [{ action: 'provide', output: { verdict: 'approved by hand' } }, { action: 'retry' }],
  }),
) {}

export class ResolveAnswerDto extends createZodDto(
  z
    .object({
      sessionId: z.string(),
      taskId: z.string(),
      action: z.enum(RESOLVE_ACTIONS),
      taskStatus: z
        .enum(TASK_STATUSES)
        .describe(
          'The status the action leads the task to: ready (retry), skipped, completed (provide) or failed (abort); a skipped or provided task shows ready until a worker takes it up',
        ),
      sessionStatus: z.enum(SESSION_STATUSES),
    })
    .meta({
      examples: [
        { sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33', taskId: 'review', action: 'provide', taskStatus: 'completed', sessionStatus: 'running' },
      ],
    }),
) {}

/** Session state (issue 5): the context patch, the shared context and the operator's view. */

export class ContextPatchDto extends createZodDto(
  z
    .record(z.string(), jsonValueSchema)
    .superRefine((patch, ctx) => {
      for (const key of Object.keys(patch)) {
        if (key.length === 0) ctx.addIssue({ code: 'custom', path: [key], message: 'a context key must not be empty' });
      }
    })
    .meta({
      description: 'A JSON Merge Patch of the shared context: each key replaces (objects merge into objects); a key set to null is removed.',
      examples: [{ audience: 'operators', limits: { words: 2000 }, draft: null }],
    }),
) {}

export class ContextDto extends createZodDto(
  z
    .record(z.string(), jsonValueSchema)
    .meta({ description: 'The whole shared context after the update', examples: [{ audience: 'operators', limits: { words: 2000 } }] }),
) {}

export class SessionStateDto extends createZodDto(
  z
    .object({
      sessionId: z.string(),
      shared: z
        .record(z.string(), z.object({ value: jsonValueSchema, version: z.number().int() }))
        .describe("Every shared entry with its version (0: written before versions, at the session's start)"),
      temporary: z.record(z.string(), z.object({ value: jsonValueSchema, version: z.number().int(), expiresInMs: z.number().int() })),
      private: z
        .array(
          z.union([
            z.object({ agentId: z.string(), entries: z.number().int(), redacted: z.literal(true) }),
            z.object({ agentId: z.string(), entries: z.number().int(), redacted: z.literal(false), values: z.record(z.string(), jsonValueSchema) }),
          ]),
        )
        .describe('Agents with a private scope; their values only for admin keys, redacted for everyone else'),
    })
    .meta({
      examples: [
        {
          sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33',
          shared: { audience: { value: 'operators', version: 0 }, findings: { value: ['AOF fsyncs every second'], version: 7 } },
          temporary: { draftLock: { value: 'writer@worker-1:4242', version: 9, expiresInMs: 41250 } },
          private: [{ agentId: 'researcher@worker-1:4242', entries: 2, redacted: true }],
        },
      ],
    }),
) {}

export class InitializeAnswerDto extends createZodDto(
  z
    .object({
      changed: z.boolean().describe('False when everything was in place already and this call changed nothing'),
      message: z.string(),
      deployment: z.object({ prefix: z.string(), shards: z.number().int(), version: z.string(), initializedAt: z.string() }),
      createdQueues: z.array(z.string()).describe('Queues (`<shard tag> <name>`) whose BullMQ metadata this call wrote'),
      queues: z.number().int(),
      capabilities: z.object({ builtin: z.number().int(), custom: z.number().int() }),
      templates: z.array(z.string()),
    })
    .meta({
      examples: [
        {
          changed: false,
          message: 'Already initialized at 2026-11-25T16:20:00.000Z; nothing changed',
          deployment: { prefix: 'sy', shards: 1, version: '0.1.0', initializedAt: '2026-11-25T16:20:00.000Z' },
          createdQueues: [],
          queues: 20,
          capabilities: { builtin: 19, custom: 0 },
          templates: ['research-report', 'implement-and-review', 'data-analysis'],
        },
      ],
    }),
) {}
