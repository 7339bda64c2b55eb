/**
 * Every Redis key and queue name of Switchyard is built here.
 *
 * A deployment has N shards; shard i is the hash tag `{<prefix>-i}`. A session lives wholly in one
 * shard: its BullMQ queues and jobs (the shard tag is the BullMQ prefix) and its own keys below,
 * so one Lua script may touch a session's jobs, dependency bookkeeping and state at once, and
 * everything a session owns hashes to one Redis Cluster slot.
 */

/** The hash tag of one shard, used verbatim as BullMQ's key prefix. */
export type ShardTag = string & { readonly __brand: 'ShardTag' };

export function shardTag(prefix: string, index: number): ShardTag {
  return `{${prefix}-${index}}` as ShardTag;
}

/** The queue that holds each session's root job (it completes when every top-level task has). */
export const SESSION_QUEUE = 'sy.session';

/**
 * The queue of the tasks that run no agent (kinds `wait` and `signal`): every worker takes it,
 * and their jobs spend their wait in its delayed set, holding no slot of a capability queue.
 */
export const WAIT_QUEUE = 'sy.wait';

/**
 * Who waits for a session's top-level tasks in the dependency resolver: the session's root job.
 * Its pending set is `keys.pendingDeps(tag, sessionId, ROOT_WAITER)`; a task id can never be this
 * (plan.schema's TASK_ID has no colon).
 */
export const ROOT_WAITER = ':root';

/**
 * Our own keys live under `<tag>:_sy:`; queue names are capability names (`[a-z][a-z0-9_]*`) or
 * `sy.session`, so no BullMQ key can ever collide with them.
 */
const ns = (tag: ShardTag) => `${tag}:_sy`;

export const keys = {
  /** Hash: the session record (status, goal, plan, result, timings). */
  session: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}`,
  /** List: the session's task ids, in plan order, then subtasks as they are spawned. */
  taskIds: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}:tasks`,
  /** Hash: one task's state (status, agent, worker, attempts, timings, error). */
  task: (tag: ShardTag, sessionId: string, taskId: string) => `${ns(tag)}:session:${sessionId}:task:${taskId}`,
  /**
   * Sorted set: the ids of the shard's sessions, scored by creation time (epoch ms), every
   * tenant's; the session list of an admin reads it. An entry whose session has expired is
   * skipped and removed by the reader (SessionIndex).
   */
  sessionIndex: (tag: ShardTag) => `${ns(tag)}:sessions`,
  /** Sorted set: as {@link keys.sessionIndex}, one tenant's sessions only. */
  tenantSessionIndex: (tag: ShardTag, tenant: string) => `${ns(tag)}:sessions:tenant:${tenant}`,
  /** Hash: task id → JSON output of every finished task of the session. */
  outputs: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}:outputs`,
  /** Set: the ids of the dependencies (and children) a task still waits for; ROOT_WAITER's, the top-level tasks the session waits for. */
  pendingDeps: (tag: ShardTag, sessionId: string, taskId: string) => `${ns(tag)}:session:${sessionId}:pending:${taskId}`,
  /** Hash: task id → JSON list of the tasks that depend on it. */
  dependants: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}:dependants`,
  /** Stream: the session's events (task and session state changes), in order, for live views. */
  events: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}:events`,
  /**
   * Stream: the session's orchestration log (level, source, message, task, agent, worker,
   * context), bounded to SWITCHYARD_LOG_MAX_ENTRIES; it expires with the session's other keys.
   */
  log: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}:log`,
  /** Hash: this shard's cluster-wide metrics (counters and histogram buckets), summed over shards when scraped. */
  metrics: (tag: ShardTag) => `${ns(tag)}:metrics`,
  /** Pub/sub channel: ids of sessions just cancelled, so workers abort their running tasks. */
  cancellations: (tag: ShardTag) => `${ns(tag)}:cancellations`,
  /** String: what an `Idempotency-Key` (by its digest) of `POST /orchestrate` started. */
  idempotency: (tag: ShardTag, digest: string) => `${ns(tag)}:idempotency:${digest}`,
  /**
   * Hash: `<task id> <step name>` → JSON `{ "v": result }` of each finished durable step
   * (`context.step`) of the session's tasks; it expires with the session's other keys.
   */
  steps: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}:steps`,
  /** Hash: the shared scope of the session's state (key → JSON value). */
  sharedState: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}:state:shared`,
  /**
   * The rest of a session's state (see state/state-keys.ts): every key starts with this, so it
   * carries the shard's hash tag and a transaction over any of them touches one slot.
   */
  stateBase: (tag: ShardTag, sessionId: string) => `${ns(tag)}:session:${sessionId}:state`,
} as const;

/**
 * The agent registry and the capability catalog are global to the deployment, not to a shard:
 * they live under the hash tag `{<prefix>}` (one slot, so one script may touch them all).
 */
const registryNs = (prefix: string) => `{${prefix}}:_sy:registry`;

export const registryKeys = {
  /** Hash: agent id → JSON of what does not change while it lives (descriptor, worker, source). */
  agents: (prefix: string) => `${registryNs(prefix)}:agents`,
  /** Hash: agent id → epoch ms of its last heartbeat. */
  heartbeats: (prefix: string) => `${registryNs(prefix)}:heartbeats`,
  /** Hash: agent id → how many tasks it runs now. */
  loads: (prefix: string) => `${registryNs(prefix)}:loads`,
  /** Hash: agent id → `draining` (absent: active). */
  statuses: (prefix: string) => `${registryNs(prefix)}:statuses`,
  /** Hash: agent id → epoch ms it was unregistered over REST; its worker must not bring it back. */
  revoked: (prefix: string) => `${registryNs(prefix)}:revoked`,
  /** Hash: custom capability name → JSON `{ category, description, privileged }`. */
  capabilities: (prefix: string) => `${registryNs(prefix)}:capabilities`,
  /**
   * Hash: shard index → the shard's hash tag, on a Redis Cluster, as the first process chose it
   * from the slot layout (see shard-tags.ts); on one Redis the tags are `{<prefix>-<i>}` and this is unused.
   */
  shardTags: (prefix: string) => `{${prefix}}:_sy:shard-tags`,
  /** Hash: the deployment as `POST /initialize` first recorded it (prefix, shards, version, when). */
  deployment: (prefix: string) => `{${prefix}}:_sy:deployment`,
} as const;

/**
 * Remote agents' work (agents registered over REST that pull tasks over HTTP), global to the
 * deployment under its hash tag `{<prefix>}` like the registry, so that one script reads every
 * list an agent polls.
 */
const remoteNs = (prefix: string) => `{${prefix}}:_sy:remote`;

export const remoteKeys = {
  /** List: ids of parked tasks of one tenant whose first capability is `capability`, oldest first. */
  pending: (prefix: string, tenant: string, capability: string) => `${remoteNs(prefix)}:pending:${tenant}:${capability}`,
  /**
   * Hash with a TTL the parking worker renews: one parked task (`task` JSON, `state` pending →
   * claimed → settled, the lease's `agent`, `secret` and `expiresAt`, then the `outcome`).
   */
  park: (prefix: string, parkId: string) => `${remoteNs(prefix)}:park:${parkId}`,
  /** What every park key starts with (claim.lua builds the keys of the ids it pops). */
  parkBase: (prefix: string) => `${remoteNs(prefix)}:park:`,
} as const;

/** API access that is global to the deployment, under its hash tag `{<prefix>}` like the registry. */
export const accessKeys = {
  /**
   * String with a TTL: JSON of what one stream token grants (session, tenant, key id, role), by
   * the SHA-256 of the token; the token itself is stored nowhere.
   */
  streamToken: (prefix: string, sha256: string) => `{${prefix}}:_sy:stream-token:${sha256}`,
  /**
   * String: one API client's (key's, tenant's, address') request count in the current rate-limit
   * window (and `:blocked`); deployment-wide, like every tenant counter.
   */
  rateLimit: (prefix: string, client: string) => `{${prefix}}:_sy:ratelimit:${client}`,
} as const;

/**
 * The shared model rate limits (SWITCHYARD_MODEL_LIMITS), global to the deployment under its hash
 * tag `{<prefix>}`, per model name: every worker's calls count in the same keys.
 */
export const modelRateKeys = {
  /** Sorted set: the calls of the current window, scored by their time (epoch ms), each member `<id>:<tokens>`. */
  calls: (prefix: string, model: string) => `{${prefix}}:_sy:model-rate:${model}:calls`,
  /** String with a TTL: epoch ms until which no call to the model starts (a 429's Retry-After). */
  backOff: (prefix: string, model: string) => `{${prefix}}:_sy:model-rate:${model}:backoff`,
} as const;

/**
 * Fair share between tenants, global to the deployment under its hash tag `{<prefix>}`: every
 * shard's queues take turns from the same clock, so a tenant whose sessions sit in several shards
 * is one tenant (see docs/fair-share.md).
 */
export const fairKeys = {
  /** Hash: the fair-share clock's `epoch` and each tenant's next turns by priority class, `t:<tenant>` (see fair-turns.lua). */
  clock: (prefix: string) => `{${prefix}}:_sy:fair`,
  /** Sorted set: one tenant's running task jobs (`<tag>/<job id>`), scored by when their hold lapses (epoch ms). */
  running: (prefix: string, tenant: string) => `{${prefix}}:_sy:fair:running:${tenant}`,
} as const;

/** The key of a BullMQ job's hash (`<tag>:<queue>:<id>`); BullMQ keeps more keys beside it, named `<key><suffix>`. */
export function bullJobKey(tag: ShardTag, queue: string, jobId: string): string {
  return `${tag}:${queue}:${jobId}`;
}

/** BullMQ job ids are derived, so any process can find a task's job from the ids alone. */
export const jobIds = {
  root: (sessionId: string) => `${sessionId}`,
  plan: (sessionId: string) => `${sessionId}.plan`,
  task: (sessionId: string, taskId: string) => `${sessionId}.t.${taskId}`,
  /** The session (and task, for a task's job) a job id was derived from; `undefined` for other ids. */
  parse: (jobId: string): { sessionId: string; taskId?: string } | undefined => {
    const match = /^(\d{1,4}-[0-9a-f-]{36})(?:\.t\.(.+)|\.plan)?$/.exec(jobId);
    return match ? { sessionId: match[1], ...(match[2] ? { taskId: match[2] } : {}) } : undefined;
  },
} as const;
