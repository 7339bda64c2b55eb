import { z } from 'zod';
import { ApiKeyEntry, parseApiKeys } from '../auth/api-keys';
import { intFromEnv } from './env-fields';
import { toUsageConfig, UsageConfig, usageEnvironmentShape } from './usage-environment';
import { FairShareConfig, fairEnvironmentShape, toFairShareConfig } from './fair-environment';
import { agentsEnvironmentShape, checkAgentsEnvironment, ModelConfig, toModelConfig, toToolsConfig, ToolsConfig } from './agents-environment';

/** Log levels pino understands, in order of verbosity. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** How long a worker holds a running job (BullMQ's lock) unless SWITCHYARD_LOCK_DURATION_MS says otherwise. */
export const DEFAULT_LOCK_DURATION_MS = 30_000;

/**
 * SWITCHYARD_TENANT_RATE_LIMIT, unless set, is this many times SWITCHYARD_RATE_LIMIT: a tenant's
 * few keys (a service, CI, an operator or two) each get their full rate, while a tenant that makes
 * dozens of keys still shares one budget.
 */
export const TENANT_RATE_LIMIT_KEYS = 4;

/**
 * What Bull Board (at /admin/queues, for admins) may do: only show queues and jobs (`readonly`),
 * also change them (`full`: retry, remove, pause, add... behind Switchyard's back), or not be there (`off`).
 */
export const BULL_BOARD_MODES = ['readonly', 'full', 'off'] as const;
export type BullBoardMode = (typeof BULL_BOARD_MODES)[number];

/** Capabilities a guest agent may take unless SWITCHYARD_GUEST_CAPABILITIES says otherwise. */
export const DEFAULT_GUEST_CAPABILITIES = [
  'web_research',
  'document_analysis',
  'data_synthesis',
  'document_creation',
  'presentation',
  'data_analysis',
  'pattern_recognition',
] as const;

const capabilityList = (name: string) =>
  z.string().refine(
    (v) =>
      v
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean)
        .every((c) => /^[a-z][a-z0-9_]{0,62}$/.test(c)),
    `${name} must be a comma-separated list of capability names (lower snake case)`,
  );

const listOf = (value: string) =>
  value
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);

/**
 * The environment Switchyard reads, validated once at boot.
 * Every variable has a default, so an empty environment runs against a local Redis.
 */
export const environmentSchema = z
  .object({
    REDIS_URL: z
      .string()
      .default('redis://127.0.0.1:6379')
      .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), 'REDIS_URL must be a redis:// or rediss:// URL'),
    SWITCHYARD_REDIS_CLUSTER: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || v.split(',').every((seed) => /^[^\s,:/]+:\d{1,5}$/.test(seed.trim())),
        'SWITCHYARD_REDIS_CLUSTER must be a comma-separated list of host:port seed nodes',
      ),
    PORT: intFromEnv('PORT', 0, 65535).default(3000),
    SWITCHYARD_PREFIX: z
      .string()
      .default('sy')
      .refine((v) => /^[A-Za-z0-9_-]{1,40}$/.test(v), 'SWITCHYARD_PREFIX must be 1 to 40 letters, digits, "_" or "-"'),
    SWITCHYARD_SHARDS: intFromEnv('SWITCHYARD_SHARDS', 1, 1024).default(1),
    LOG_LEVEL: z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    SWITCHYARD_OFFLINE_LATENCY_MS: intFromEnv('SWITCHYARD_OFFLINE_LATENCY_MS', 0, 600_000).default(0),
    SWITCHYARD_MAX_PLAN_TASKS: intFromEnv('SWITCHYARD_MAX_PLAN_TASKS', 1, 100_000).default(10_000),
    SWITCHYARD_MAX_PLAN_DEPTH: intFromEnv('SWITCHYARD_MAX_PLAN_DEPTH', 1, 64).default(16),
    SWITCHYARD_REDIS_WAIT_MS: intFromEnv('SWITCHYARD_REDIS_WAIT_MS', 100, 600_000).default(2000),
    SWITCHYARD_SHUTDOWN_TIMEOUT_MS: intFromEnv('SWITCHYARD_SHUTDOWN_TIMEOUT_MS', 0, 3_600_000).default(30_000),
    SWITCHYARD_WORKER_HEALTH_PORT: z
      .union([z.literal('off'), intFromEnv('SWITCHYARD_WORKER_HEALTH_PORT', 0, 65535)], {
        error: 'SWITCHYARD_WORKER_HEALTH_PORT must be a port (0 to 65535; 0 picks a free one) or "off"',
      })
      .default(3001),
    SWITCHYARD_LOCK_DURATION_MS: intFromEnv('SWITCHYARD_LOCK_DURATION_MS', 1000, 3_600_000).default(DEFAULT_LOCK_DURATION_MS),
    SWITCHYARD_REDIS_RETRY_S: intFromEnv('SWITCHYARD_REDIS_RETRY_S', 1, 7 * 24 * 3600).default(600),
    // At most 512: schema validation recurses per level, and must not come near the call stack's end.
    SWITCHYARD_MAX_JSON_DEPTH: intFromEnv('SWITCHYARD_MAX_JSON_DEPTH', 2, 512).default(64),
    SWITCHYARD_BODY_LIMIT_BYTES: intFromEnv('SWITCHYARD_BODY_LIMIT_BYTES', 1024, 64 * 1024 * 1024).default(1024 * 1024),
    SWITCHYARD_BODY_TIMEOUT_MS: intFromEnv('SWITCHYARD_BODY_TIMEOUT_MS', 100, 3_600_000).default(10_000),
    SWITCHYARD_MAX_OUTPUT_BYTES: intFromEnv('SWITCHYARD_MAX_OUTPUT_BYTES', 1024, 512 * 1024 * 1024).default(1024 * 1024),
    SWITCHYARD_MAX_SESSION_BYTES: intFromEnv('SWITCHYARD_MAX_SESSION_BYTES', 1024, 1024 ** 4).default(64 * 1024 * 1024),
    SWITCHYARD_RETENTION_S: intFromEnv('SWITCHYARD_RETENTION_S', 1, 365 * 24 * 3600).default(24 * 3600),
    SWITCHYARD_IDEMPOTENCY_TTL_S: intFromEnv('SWITCHYARD_IDEMPOTENCY_TTL_S', 1, 30 * 24 * 3600).default(24 * 3600),
    SWITCHYARD_STREAM_TOKEN_TTL_S: intFromEnv('SWITCHYARD_STREAM_TOKEN_TTL_S', 1, 3600).default(300),
    SWITCHYARD_RATE_LIMIT: intFromEnv('SWITCHYARD_RATE_LIMIT', 0, 1_000_000).default(6000),
    SWITCHYARD_TENANT_RATE_LIMIT: intFromEnv('SWITCHYARD_TENANT_RATE_LIMIT', 0, 100_000_000).optional(),
    SWITCHYARD_RATE_WINDOW_MS: intFromEnv('SWITCHYARD_RATE_WINDOW_MS', 100, 3_600_000).default(60_000),
    SWITCHYARD_CORS_ORIGINS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((o) => o.trim())
          .filter((o) => o.length > 0),
      )
      .refine(
        (origins) => origins.every((o) => o === '*' || /^https?:\/\/[^\s/]+$/.test(o)),
        'SWITCHYARD_CORS_ORIGINS must be a comma-separated list of origins like https://app.example.com, or *',
      ),
    SWITCHYARD_AUTH: z.enum(['on', 'off'], { error: 'SWITCHYARD_AUTH must be "on" or "off"' }).default('on'),
    SWITCHYARD_BULL_BOARD: z.enum(BULL_BOARD_MODES, { error: `SWITCHYARD_BULL_BOARD must be one of ${BULL_BOARD_MODES.join(', ')}` }).default('readonly'),
    SWITCHYARD_UI_DIR: z.string().min(1, 'SWITCHYARD_UI_DIR must name a directory').default('dist/ui'),
    SWITCHYARD_API_KEYS: z
      .string()
      .default('')
      .transform((raw, ctx) => {
        const { entries, problems } = parseApiKeys(raw);
        for (const problem of problems) ctx.addIssue({ code: 'custom', message: `SWITCHYARD_API_KEYS: ${problem}` });
        return entries;
      }),
    SWITCHYARD_LOCK_REDIS_URLS: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || v.split(',').every((url) => /^rediss?:\/\/[^\s,]+$/.test(url.trim())),
        'SWITCHYARD_LOCK_REDIS_URLS must be a comma-separated list of redis:// or rediss:// URLs',
      ),
    SWITCHYARD_STATE_LOCK_TTL_MS: intFromEnv('SWITCHYARD_STATE_LOCK_TTL_MS', 10, 600_000).default(10_000),
    SWITCHYARD_STATE_LOCK_WAIT_MS: intFromEnv('SWITCHYARD_STATE_LOCK_WAIT_MS', 0, 600_000).default(10_000),
    SWITCHYARD_STATE_MAX_KEY_BYTES: intFromEnv('SWITCHYARD_STATE_MAX_KEY_BYTES', 1, 4096).default(256),
    SWITCHYARD_STATE_MAX_VALUE_BYTES: intFromEnv('SWITCHYARD_STATE_MAX_VALUE_BYTES', 16, 64 * 1024 * 1024).default(1024 * 1024),
    SWITCHYARD_STATE_TEMP_TTL_MS: intFromEnv('SWITCHYARD_STATE_TEMP_TTL_MS', 1, 30 * 24 * 3600 * 1000).default(3600 * 1000),
    SWITCHYARD_LOG_MAX_ENTRIES: intFromEnv('SWITCHYARD_LOG_MAX_ENTRIES', 10, 1_000_000).default(10_000),
    SWITCHYARD_LOG_FLUSH_MS: intFromEnv('SWITCHYARD_LOG_FLUSH_MS', 0, 10_000).default(10),
    SWITCHYARD_HEARTBEAT_MS: intFromEnv('SWITCHYARD_HEARTBEAT_MS', 100, 600_000).default(5000),
    SWITCHYARD_AGENT_TTL_MS: intFromEnv('SWITCHYARD_AGENT_TTL_MS', 300, 3_600_000).default(15_000),
    SWITCHYARD_REMOTE_LEASE_MS: intFromEnv('SWITCHYARD_REMOTE_LEASE_MS', 500, 3_600_000).default(30_000),
    SWITCHYARD_ADMISSION_TIMEOUT_MS: intFromEnv('SWITCHYARD_ADMISSION_TIMEOUT_MS', 0, 30 * 24 * 3600 * 1000).default(0),
    SWITCHYARD_GUEST_CAPABILITIES: capabilityList('SWITCHYARD_GUEST_CAPABILITIES').default(DEFAULT_GUEST_CAPABILITIES.join(',')),
    SWITCHYARD_AGENTS: z
      .string()
      .default('')
      .refine((v) => /^[a-z0-9_,-]*$/i.test(v.replace(/\s/g, '')), 'SWITCHYARD_AGENTS must be a comma-separated list of agent types'),
    SWITCHYARD_AGENT_CONCURRENCY: intFromEnv('SWITCHYARD_AGENT_CONCURRENCY', 0, 10_000).default(0),
    ...agentsEnvironmentShape,
    ...usageEnvironmentShape,
    ...fairEnvironmentShape,
  })
  .superRefine(checkAgentsEnvironment);

export type Environment = z.infer<typeof environmentSchema>;

/** Typed configuration handed to every service; built from the validated environment. */
export interface SwitchyardConfig {
  readonly redisUrl: string;
  /**
   * Seed nodes of a Redis Cluster (SWITCHYARD_REDIS_CLUSTER); when set, every connection is a
   * cluster connection and {@link redisUrl} is ignored. Empty: one Redis at {@link redisUrl}.
   */
  readonly redisCluster: readonly { host: string; port: number }[];
  readonly port: number;
  /** Prefix of every Redis key and queue of this deployment. */
  readonly prefix: string;
  /** Number of shards; each shard is one `{prefix-N}` hash tag. */
  readonly shards: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** How long each call of the offline model provider takes. */
  readonly offlineLatencyMs: number;
  readonly maxPlanTasks: number;
  readonly maxPlanDepth: number;
  /**
   * How long the API waits for Redis to answer one command; then the request answers 503 with
   * Retry-After. Workers wait for Redis to come back instead.
   * @defaultValue 2000
   */
  readonly redisWaitMs: number;
  /** How long a worker waits for running tasks on SIGTERM before giving them back. */
  readonly shutdownTimeoutMs: number;
  /**
   * Where a worker serves `GET /health/live` and `GET /health/ready`: a port (0: any free one,
   * logged at start), or `off` for no health server.
   * @defaultValue 3001
   */
  readonly workerHealthPort: number | 'off';
  /**
   * How long a worker's hold on a running job lasts without renewal: a worker that dies (SIGKILL,
   * lost pod) gives its jobs back to the queue within about twice this.
   */
  readonly lockDurationMs: number;
  /**
   * How long a job whose work Redis keeps refusing (out of memory, read-only, loading, connection
   * lost) waits for Redis, backed off up to 30 s, without spending its attempts; after that the
   * failure counts as the task's own. See RedisFaultRetry.
   * @defaultValue 600
   */
  readonly redisRetrySeconds: number;
  /** Largest request body the API reads. */
  readonly bodyLimitBytes: number;
  /** How long the API waits for a request's whole body once its headers are in; then 408 and the connection closes. */
  readonly bodyTimeoutMs: number;
  /** Deepest nesting of objects and arrays a request body may have (the body itself is level 1). */
  readonly maxJsonDepth: number;
  /**
   * Largest output (as JSON) one task may have, or a list of subtasks an agent may return: a task
   * over it fails at once, without retries, before anything of it is written to Redis.
   * @defaultValue 1 MiB
   */
  readonly maxOutputBytes: number;
  /**
   * Most a session's stored task outputs may add up to (as JSON): a task whose output would take
   * them over it fails, without retries, and its output is not stored.
   * @defaultValue 64 MiB
   */
  readonly maxSessionBytes: number;
  /** How long a finished (completed, failed or cancelled) session's keys stay in Redis. */
  readonly retentionSeconds: number;
  /** How long an `Idempotency-Key` of `POST /orchestrate` keeps answering with its session. */
  readonly idempotencyTtlSeconds: number;
  /** How long a stream token (`POST .../sessions/:id/events/token`) opens its session's event stream. */
  readonly streamTokenTtlSeconds: number;
  /** Requests one client may make per window (0: no limit), counted in Redis across replicas. */
  readonly rateLimit: number;
  /**
   * Requests one tenant may make per window across all its keys (0: no limit).
   * @defaultValue {@link TENANT_RATE_LIMIT_KEYS} × `rateLimit`
   */
  readonly tenantRateLimit: number;
  readonly rateWindowMs: number;
  /** Origins allowed to call the API from a browser; empty: CORS stays off. */
  readonly corsOrigins: readonly string[];
  /** `off` only by explicit setting: then every request acts as an admin of tenant `default`. */
  readonly auth: 'on' | 'off';
  /** The API keys (their SHA-256, role and tenant); the API refuses to start with auth on and none. */
  readonly apiKeys: readonly ApiKeyEntry[];
  /** What Bull Board may do; see {@link BULL_BOARD_MODES}. @defaultValue `readonly` */
  /** Where the session pages' built assets are (`npm run build` writes them to dist/ui), relative to the working directory. */
  readonly uiDir: string;
  readonly bullBoard: BullBoardMode;
  /** The model provider of the model-backed agents (see agents-environment.ts). */
  readonly models: ModelConfig;
  /** Limits of the tool agents (see agents-environment.ts). */
  readonly tools: ToolsConfig;
  /** Deltas, model prices and shared model rate limits (see usage-environment.ts). */
  readonly usage: UsageConfig;
  /** How tenants share the capability queues (see fair-environment.ts and docs/fair-share.md). */
  readonly fairShare: FairShareConfig;
  /** Session state: its limits and how its transactions lock (see state/). */
  readonly state: StateSettings;
  /** Most entries a session's orchestration log keeps; the oldest go first. */
  readonly logMaxEntries: number;
  /** How long log entries and metric increments wait in a process before they are sent, batched. */
  readonly logFlushMs: number;
  /** How often a worker renews its agents' records in the registry. */
  readonly heartbeatMs: number;
  /** An agent whose last heartbeat is older than this is offline: out of routing. */
  readonly agentTtlMs: number;
  /**
   * How long a remote agent's lease on a task lasts without a heartbeat; once it lapses the task
   * runs again (a retry, by the task's attempts).
   */
  readonly remoteLeaseMs: number;
  /** How long a task may wait for a live agent able to take it before it fails; 0 waits for ever. */
  readonly admissionTimeoutMs: number;
  /** The capabilities a guest agent may take. */
  readonly guestCapabilities: readonly string[];
  /** The built-in agent types a worker hosts (empty: every agent its app lists). */
  readonly hostedAgentTypes: readonly string[];
  /** At most this many tasks at once per hosted agent (0: each agent's own concurrency). */
  readonly agentConcurrency: number;
}

/** How session state behaves; see the `SWITCHYARD_STATE_*` and `SWITCHYARD_LOCK_REDIS_URLS` variables. */
export interface StateSettings {
  /**
   * The independent Redis servers Redlock takes transaction locks on (a quorum of them must
   * agree). Empty: the deployment's own Redis, where a commit also checks its lock atomically.
   */
  readonly lockRedisUrls: readonly string[];
  /** How long a transaction's lock lasts: a transaction slower than this fails at commit. */
  readonly lockTtlMs: number;
  /** How long acquiring a lock keeps retrying while another transaction holds it. */
  readonly lockWaitMs: number;
  readonly maxKeyBytes: number;
  /** Largest JSON value of one entry, in bytes (also after increment / append / merge). */
  readonly maxValueBytes: number;
  /** Time to live of a temporary entry written without `ttlMs`. */
  readonly temporaryTtlMs: number;
}

/** Thrown at boot when the environment does not validate; names every bad variable. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`);
  }
}

/** Validates a raw environment (unset and empty variables take their defaults). */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const relevant: Record<string, unknown> = {};
  for (const key of Object.keys(environmentSchema.shape)) {
    const value = raw[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = environmentSchema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? 'environment'),
        message: issue.message,
      })),
    );
  }
  if (parsed.data.SWITCHYARD_AGENT_TTL_MS <= parsed.data.SWITCHYARD_HEARTBEAT_MS) {
    throw new ConfigurationError([{ variable: 'SWITCHYARD_AGENT_TTL_MS', message: 'SWITCHYARD_AGENT_TTL_MS must be longer than SWITCHYARD_HEARTBEAT_MS' }]);
  }
  return parsed.data;
}

export function toSwitchyardConfig(env: Environment): SwitchyardConfig {
  return {
    redisUrl: env.REDIS_URL,
    redisCluster: (env.SWITCHYARD_REDIS_CLUSTER ?? '')
      .split(',')
      .map((seed) => seed.trim())
      .filter((seed) => seed.length > 0)
      .map((seed) => {
        const at = seed.lastIndexOf(':');
        return { host: seed.slice(0, at), port: Number(seed.slice(at + 1)) };
      }),
    port: env.PORT,
    prefix: env.SWITCHYARD_PREFIX,
    shards: env.SWITCHYARD_SHARDS,
    logLevel: env.LOG_LEVEL,
    offlineLatencyMs: env.SWITCHYARD_OFFLINE_LATENCY_MS,
    maxPlanTasks: env.SWITCHYARD_MAX_PLAN_TASKS,
    maxPlanDepth: env.SWITCHYARD_MAX_PLAN_DEPTH,
    redisWaitMs: env.SWITCHYARD_REDIS_WAIT_MS,
    shutdownTimeoutMs: env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS,
    workerHealthPort: env.SWITCHYARD_WORKER_HEALTH_PORT,
    retentionSeconds: env.SWITCHYARD_RETENTION_S,
    bodyLimitBytes: env.SWITCHYARD_BODY_LIMIT_BYTES,
    bodyTimeoutMs: env.SWITCHYARD_BODY_TIMEOUT_MS,
    maxJsonDepth: env.SWITCHYARD_MAX_JSON_DEPTH,
    maxOutputBytes: env.SWITCHYARD_MAX_OUTPUT_BYTES,
    maxSessionBytes: env.SWITCHYARD_MAX_SESSION_BYTES,
    lockDurationMs: env.SWITCHYARD_LOCK_DURATION_MS,
    redisRetrySeconds: env.SWITCHYARD_REDIS_RETRY_S,
    idempotencyTtlSeconds: env.SWITCHYARD_IDEMPOTENCY_TTL_S,
    streamTokenTtlSeconds: env.SWITCHYARD_STREAM_TOKEN_TTL_S,
    rateLimit: env.SWITCHYARD_RATE_LIMIT,
    tenantRateLimit: env.SWITCHYARD_TENANT_RATE_LIMIT ?? TENANT_RATE_LIMIT_KEYS * env.SWITCHYARD_RATE_LIMIT,
    rateWindowMs: env.SWITCHYARD_RATE_WINDOW_MS,
    corsOrigins: env.SWITCHYARD_CORS_ORIGINS,
    auth: env.SWITCHYARD_AUTH,
    apiKeys: env.SWITCHYARD_API_KEYS,
    bullBoard: env.SWITCHYARD_BULL_BOARD,
    uiDir: env.SWITCHYARD_UI_DIR,
    models: toModelConfig(env),
    tools: toToolsConfig(env),
    usage: toUsageConfig(env),
    fairShare: toFairShareConfig(env),
    state: {
      lockRedisUrls: (env.SWITCHYARD_LOCK_REDIS_URLS ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u.length > 0),
      lockTtlMs: env.SWITCHYARD_STATE_LOCK_TTL_MS,
      lockWaitMs: env.SWITCHYARD_STATE_LOCK_WAIT_MS,
      maxKeyBytes: env.SWITCHYARD_STATE_MAX_KEY_BYTES,
      maxValueBytes: env.SWITCHYARD_STATE_MAX_VALUE_BYTES,
      temporaryTtlMs: env.SWITCHYARD_STATE_TEMP_TTL_MS,
    },
    logMaxEntries: env.SWITCHYARD_LOG_MAX_ENTRIES,
    logFlushMs: env.SWITCHYARD_LOG_FLUSH_MS,
    heartbeatMs: env.SWITCHYARD_HEARTBEAT_MS,
    agentTtlMs: env.SWITCHYARD_AGENT_TTL_MS,
    remoteLeaseMs: env.SWITCHYARD_REMOTE_LEASE_MS,
    admissionTimeoutMs: env.SWITCHYARD_ADMISSION_TIMEOUT_MS,
    guestCapabilities: listOf(env.SWITCHYARD_GUEST_CAPABILITIES),
    hostedAgentTypes: listOf(env.SWITCHYARD_AGENTS),
    agentConcurrency: env.SWITCHYARD_AGENT_CONCURRENCY,
  };
}

/**
 * What an app's `main` does when it cannot start: one clear line on stderr (naming the bad
 * variable or the unreachable Redis) and exit code 1, instead of a stack trace or a hang.
 */
export function reportStartupFailure(app: string): (error: unknown) => never {
  return (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`switchyard ${app}: cannot start: ${message}\n`);
    process.exit(1);
  };
}

/**
 * Closes the app on SIGTERM or SIGINT (running every shutdown hook: a worker finishes or hands
 * back its running jobs) and exits 0. Nest's own shutdown hooks would re-raise the signal,
 * so the process would end "killed by SIGTERM" instead of exiting cleanly.
 */
export function closeOnSignals(app: { close(): Promise<void> }, onError: (error: unknown) => void): void {
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (closing) return;
      closing = true;
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          onError(error);
          process.exit(1);
        },
      );
    });
  }
}
