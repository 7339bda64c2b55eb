import { z } from 'zod';

/** Log levels pino understands, in order of verbosity. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const intFromEnv = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);

/** Capabilities a guest agent may take unless SWITCHYARD_GUEST_CAPABILITIES says otherwise. */
export const DEFAULT_GUEST_CAPABILITIES = [
  'web_research', 'document_analysis', 'data_synthesis', 'document_creation', 'presentation', 'data_analysis', 'pattern_recognition',
] as const;

const capabilityList = (name: string) =>
  z
    .string()
    .refine(
      (v) => v.split(',').map((c) => c.trim()).filter(Boolean).every((c) => /^[a-z][a-z0-9_]{0,62}$/.test(c)),
      `${name} must be a comma-separated list of capability names (lower snake case)`,
    );

const listOf = (value: string) => value.split(',').map((c) => c.trim()).filter(Boolean);

/**
 * The environment Switchyard reads, validated once at boot.
 * Every variable has a default, so an empty environment runs against a local Redis.
 */
export const environmentSchema = z.object({
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), 'REDIS_URL must be a redis:// or rediss:// URL'),
  PORT: intFromEnv('PORT', 0, 65535).default(3000),
  SWITCHYARD_PREFIX: z
    .string()
    .default('sy')
    .refine(
      (v) => /^[A-Za-z0-9_-]{1,40}$/.test(v),
      'SWITCHYARD_PREFIX must be 1 to 40 letters, digits, "_" or "-"',
    ),
  SWITCHYARD_SHARDS: intFromEnv('SWITCHYARD_SHARDS', 1, 1024).default(1),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  SWITCHYARD_OFFLINE_LATENCY_MS: intFromEnv('SWITCHYARD_OFFLINE_LATENCY_MS', 0, 600_000).default(0),
  SWITCHYARD_MAX_PLAN_TASKS: intFromEnv('SWITCHYARD_MAX_PLAN_TASKS', 1, 100_000).default(10_000),
  SWITCHYARD_MAX_PLAN_DEPTH: intFromEnv('SWITCHYARD_MAX_PLAN_DEPTH', 1, 64).default(16),
  SWITCHYARD_SHUTDOWN_TIMEOUT_MS: intFromEnv('SWITCHYARD_SHUTDOWN_TIMEOUT_MS', 0, 3_600_000).default(30_000),
  SWITCHYARD_LOCK_DURATION_MS: intFromEnv('SWITCHYARD_LOCK_DURATION_MS', 1000, 3_600_000).default(30_000),
  SWITCHYARD_BODY_LIMIT_BYTES: intFromEnv('SWITCHYARD_BODY_LIMIT_BYTES', 1024, 64 * 1024 * 1024).default(1024 * 1024),
  SWITCHYARD_RETENTION_S: intFromEnv('SWITCHYARD_RETENTION_S', 1, 365 * 24 * 3600).default(24 * 3600),
  SWITCHYARD_HEARTBEAT_MS: intFromEnv('SWITCHYARD_HEARTBEAT_MS', 100, 600_000).default(5000),
  SWITCHYARD_AGENT_TTL_MS: intFromEnv('SWITCHYARD_AGENT_TTL_MS', 300, 3_600_000).default(15_000),
  SWITCHYARD_ADMISSION_TIMEOUT_MS: intFromEnv('SWITCHYARD_ADMISSION_TIMEOUT_MS', 0, 30 * 24 * 3600 * 1000).default(0),
  SWITCHYARD_GUEST_CAPABILITIES: capabilityList('SWITCHYARD_GUEST_CAPABILITIES').default(DEFAULT_GUEST_CAPABILITIES.join(',')),
  SWITCHYARD_AGENTS: z
    .string()
    .default('')
    .refine((v) => /^[a-z0-9_,-]*$/i.test(v.replace(/\s/g, '')), 'SWITCHYARD_AGENTS must be a comma-separated list of agent types'),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Typed configuration handed to every service; built from the validated environment. */
export interface SwitchyardConfig {
  readonly redisUrl: string;
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
  /** How long a worker waits for running tasks on SIGTERM before giving them back. */
  readonly shutdownTimeoutMs: number;
  /**
   * How long a worker's hold on a running job lasts without renewal: a worker that dies (SIGKILL,
   * lost pod) gives its jobs back to the queue within about twice this.
   */
  readonly lockDurationMs: number;
  /** Largest request body the API reads. */
  readonly bodyLimitBytes: number;
  /** How long a finished (completed, failed or cancelled) session's keys stay in Redis. */
  readonly retentionSeconds: number;
  /** How often a worker renews its agents' records in the registry. */
  readonly heartbeatMs: number;
  /** An agent whose last heartbeat is older than this is offline: out of routing. */
  readonly agentTtlMs: number;
  /** How long a task may wait for a live agent able to take it before it fails; 0 waits for ever. */
  readonly admissionTimeoutMs: number;
  /** The capabilities a guest agent may take. */
  readonly guestCapabilities: readonly string[];
  /** The built-in agent types a worker hosts (empty: every agent its app lists). */
  readonly hostedAgentTypes: readonly string[];
}

/** Thrown at boot when the environment does not validate; names every bad variable. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`,
    );
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
    throw new ConfigurationError([
      { variable: 'SWITCHYARD_AGENT_TTL_MS', message: 'SWITCHYARD_AGENT_TTL_MS must be longer than SWITCHYARD_HEARTBEAT_MS' },
    ]);
  }
  return parsed.data;
}

export function toSwitchyardConfig(env: Environment): SwitchyardConfig {
  return {
    redisUrl: env.REDIS_URL,
    port: env.PORT,
    prefix: env.SWITCHYARD_PREFIX,
    shards: env.SWITCHYARD_SHARDS,
    logLevel: env.LOG_LEVEL,
    offlineLatencyMs: env.SWITCHYARD_OFFLINE_LATENCY_MS,
    maxPlanTasks: env.SWITCHYARD_MAX_PLAN_TASKS,
    maxPlanDepth: env.SWITCHYARD_MAX_PLAN_DEPTH,
    shutdownTimeoutMs: env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS,
    retentionSeconds: env.SWITCHYARD_RETENTION_S,
    bodyLimitBytes: env.SWITCHYARD_BODY_LIMIT_BYTES,
    lockDurationMs: env.SWITCHYARD_LOCK_DURATION_MS,
    heartbeatMs: env.SWITCHYARD_HEARTBEAT_MS,
    agentTtlMs: env.SWITCHYARD_AGENT_TTL_MS,
    admissionTimeoutMs: env.SWITCHYARD_ADMISSION_TIMEOUT_MS,
    guestCapabilities: listOf(env.SWITCHYARD_GUEST_CAPABILITIES),
    hostedAgentTypes: listOf(env.SWITCHYARD_AGENTS),
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
