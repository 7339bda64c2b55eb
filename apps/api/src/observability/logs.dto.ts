import { createZodDto } from 'nestjs-zod';
import { nullableString } from '../http/openapi';
import { z } from 'zod';
import { jsonValueSchema, LOG_SOURCES, logExportSchema, logQuerySchema, SESSION_LOG_LEVELS } from '@switchyard/orchestration';

/** Query, answer and statistics schemas of the orchestration log routes. */

export class LogQueryDto extends createZodDto(logQuerySchema) {}

export class LogExportQueryDto extends createZodDto(logExportSchema) {}

export class EventsQueryDto extends createZodDto(
  z.object({
    logLevel: z
      .enum(SESSION_LOG_LEVELS, { error: `must be one of ${SESSION_LOG_LEVELS.join(', ')}` })
      .optional()
      .describe('Also stream log entries at this level or above (off without it); ids then become `<event id>_<log id>`'),
    deltas: z
      .enum(['on', 'off'], { error: 'must be on or off' })
      .optional()
      .describe("`off` leaves out the `delta` events (tasks' streamed output); on by default"),
    token: z
      .string()
      .optional()
      .describe('A stream token of this session (POST .../events/token), in place of an API key, for clients that cannot send headers (EventSource)'),
  }),
) {}

const workerSchema = z.object({ host: z.string(), pid: z.number().int() });

export const logEntrySchema = z
  .object({
    id: z.string().describe('Stream id: orders the entries; a cursor'),
    time: z.string(),
    level: z.enum(SESSION_LOG_LEVELS),
    source: z.enum(LOG_SOURCES),
    message: z.string(),
    sessionId: z.string(),
    taskId: z.string().optional(),
    agentId: z.string().optional(),
    worker: workerSchema.optional(),
    context: z.record(z.string(), jsonValueSchema).optional(),
  })
  .describe('One orchestration log entry');

const example = {
  id: '1795610093336-0',
  time: '2026-11-25T12:00:00.300Z',
  level: 'info',
  source: 'task',
  message: 'task started',
  sessionId: '0-9b2f0c4e-5d43-4a8e-9f71-2c0d5b7a1e33',
  taskId: 'research',
  agentId: 'researcher@worker-1:4242',
  worker: { host: 'worker-1', pid: 4242 },
  context: { attempt: 1, capabilities: ['web_research'] },
};

export class LogPageDto extends createZodDto(
  z
    .object({ entries: z.array(logEntrySchema), nextCursor: nullableString().describe('Pass as `cursor` for the next page; null at the end') })
    .meta({ examples: [{ entries: [example], nextCursor: '1795610093336-0' }] }),
) {}

const counts = <T extends readonly string[]>(names: T) =>
  z.object(Object.fromEntries(names.map((n) => [n, z.number().int()])) as Record<T[number], z.ZodNumber>);

export class LogStatsDto extends createZodDto(
  z
    .object({
      sessionId: z.string(),
      total: z.number().int().describe('Entries the log holds now'),
      written: z.number().int().describe('Entries ever written (more than total once the bound dropped the oldest)'),
      dropped: z.number().int(),
      byLevel: counts(SESSION_LOG_LEVELS),
      bySource: counts(LOG_SOURCES),
      errorRate: z.number().describe('Share of entries at level error or critical'),
      firstError: logEntrySchema.nullable(),
      lastError: logEntrySchema.nullable(),
      firstAt: nullableString(),
      lastAt: nullableString(),
    })
    .meta({
      examples: [
        {
          sessionId: example.sessionId,
          total: 42,
          written: 42,
          dropped: 0,
          byLevel: { debug: 0, info: 38, warn: 3, error: 1, critical: 0 },
          bySource: { orchestrator: 4, agent: 10, task: 27, system: 1 },
          errorRate: 0.0238,
          firstError: { ...example, level: 'error', message: 'task failed' },
          lastError: { ...example, level: 'error', message: 'task failed' },
          firstAt: '2026-11-25T12:00:00.100Z',
          lastAt: '2026-11-25T12:00:04.900Z',
        },
      ],
    }),
) {}

const histogram = z.object({
  count: z.number(),
  sumSeconds: z.number(),
  meanSeconds: z.number().nullable(),
  p50Seconds: z.number().nullable(),
  p95Seconds: z.number().nullable(),
});
const taskCounts = {
  started: z.number(),
  completed: z.number(),
  failed: z.number(),
  failedFinal: z.number(),
  cancelled: z.number(),
  durationSeconds: histogram.optional(),
  dispatchLatencySeconds: histogram.optional(),
};

const usageFigures = { promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number(), costUsd: z.number() };

export class ClusterStatsDto extends createZodDto(
  z
    .object({
      at: z.string(),
      tenant: z.string().optional().describe("Set when the figures are this tenant's only (a key below admin)"),
      tasks: z.object({ ...taskCounts, byCapability: z.record(z.string(), z.object(taskCounts)) }),
      queues: z
        .array(z.object({ queue: z.string(), workers: z.number(), waiting: z.number(), delayed: z.number(), active: z.number() }))
        .optional()
        .describe('Admin keys only'),
      liveAgents: z.object({ source: z.string(), byCapability: z.record(z.string(), z.number()) }),
      usage: z
        .object({ ...usageFigures, byModel: z.record(z.string(), z.object(usageFigures)), byTenant: z.record(z.string(), z.object(usageFigures)) })
        .describe("Model calls' tokens and cost (SWITCHYARD_MODEL_PRICES), in all, by model and by tenant; a key below admin sees its tenant's"),
      jobsStalled: z.record(z.string(), z.number()).optional().describe('Admin keys only'),
      shards: z
        .object({
          mode: z.enum(['cluster', 'single']).describe('`cluster` with SWITCHYARD_REDIS_CLUSTER'),
          shards: z.array(
            z.object({
              shard: z.number(),
              tag: z.string().describe('The hash tag of the shard: `{<prefix>-<n>}`'),
              slot: z.number().nullable().describe("The tag's Redis Cluster slot; null on one Redis"),
              node: z.string().describe('The master serving the slot (`host:port`), or the one Redis'),
            }),
          ),
          masters: z.array(z.string()),
          idleMasters: z.array(z.string()).describe('Masters no shard lives on (they hold none of the sessions)'),
          readAt: z.string().describe('When the map was last read (at start, when a node joins or leaves, and once a minute)'),
        })
        .optional()
        .describe('Admin keys only: which master serves each shard'),
      locks: z
        .object({
          waits: z.record(z.string(), z.object({ count: z.number(), waitSeconds: histogram.optional() })),
          failures: z.record(z.string(), z.record(z.string(), z.number())),
        })
        .optional()
        .describe('Admin keys only'),
    })
    .meta({
      examples: [
        {
          at: '2026-11-25T16:12:35.194Z',
          tasks: {
            started: 42,
            completed: 40,
            failed: 1,
            failedFinal: 0,
            cancelled: 1,
            durationSeconds: { count: 41, sumSeconds: 12.3, meanSeconds: 0.3, p50Seconds: 0.25, p95Seconds: 0.9 },
            dispatchLatencySeconds: { count: 42, sumSeconds: 0.21, meanSeconds: 0.005, p50Seconds: 0.004, p95Seconds: 0.01 },
            byCapability: { web_research: { started: 12, completed: 12, failed: 0, failedFinal: 0, cancelled: 0 } },
          },
          queues: [{ queue: 'web_research', workers: 2, waiting: 0, delayed: 1, active: 1 }],
          liveAgents: { source: 'active agents offering the capability (hosted by a worker, or remote)', byCapability: { web_research: 2 } },
          usage: {
            promptTokens: 5200,
            completionTokens: 1300,
            totalTokens: 6500,
            costUsd: 0.00156,
            byModel: { 'gpt-4o-mini': { promptTokens: 5200, completionTokens: 1300, totalTokens: 6500, costUsd: 0.00156 } },
            byTenant: { acme: { promptTokens: 5200, completionTokens: 1300, totalTokens: 6500, costUsd: 0.00156 } },
          },
          jobsStalled: { web_research: 1 },
          locks: { waits: { 'session-state': { count: 3 } }, failures: { 'session-state': { expired: 1 } } },
        },
      ],
    }),
) {}
