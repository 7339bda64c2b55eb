import { loggableUrl } from '../logging/loggable-url';

/** Base of every typed Switchyard failure; `code` is stable, the message says what to do. */
export abstract class SwitchyardError extends Error {
  abstract readonly code: string;
  /** Whether running the same thing again may succeed. Decided by type, never by message. */
  readonly retryable: boolean = false;
}

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** A request, plan or value failed validation; `issues` names every culprit. */
export class ValidationFailedError extends SwitchyardError {
  override readonly name: string = 'ValidationFailedError';
  readonly code = 'validation_failed';
  constructor(
    readonly issues: readonly FieldIssue[],
    summary = 'The request is invalid',
  ) {
    super(`${summary}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

export class SessionNotFoundError extends SwitchyardError {
  override readonly name = 'SessionNotFoundError';
  readonly code = 'session_not_found';
  constructor(readonly sessionId: string) {
    super(`No session "${sessionId}" exists (it may have expired or never been created)`);
  }
}

/**
 * Redis did not answer: at boot (`atBoot`: the message says how to get one), or (in the API) a
 * command that found the connection down or got no answer within SWITCHYARD_REDIS_WAIT_MS.
 * `redisUrl` is REDIS_URL without its password.
 */
export class RedisUnavailableError extends SwitchyardError {
  override readonly name = 'RedisUnavailableError';
  readonly code = 'redis_unavailable';
  override readonly retryable = true;
  readonly redisUrl: string;
  /** When a client may send its request again (the 503's Retry-After). */
  readonly retryAfterSeconds: number;
  constructor(redisUrl: string, reason: string, options: ErrorOptions & { atBoot?: boolean; retryAfterSeconds?: number } = {}) {
    const shown = loggableUrl(redisUrl);
    super(
      options.atBoot
        ? `Redis at ${shown} does not answer (${reason}). Start one (apt-get install redis-server, or ` +
            '`docker compose up -d redis`) or point REDIS_URL at a running one.'
        : `Redis did not answer: ${reason} (${shown})`,
      { cause: options.cause },
    );
    this.redisUrl = shown;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }
}

/** No agent hosted by this worker can take the task. */
export class NoCapableAgentError extends SwitchyardError {
  override readonly name = 'NoCapableAgentError';
  readonly code = 'no_capable_agent';
  constructor(
    readonly taskId: string,
    readonly capabilities: readonly string[],
    readonly agentType?: string,
  ) {
    super(`No agent here can take task "${taskId}": it needs ${capabilities.join(' + ')}` + (agentType ? ` from an agent of type "${agentType}"` : ''));
  }
}

/**
 * This worker hosts agents able to take the task, but none may take tasks now (unregistered
 * over REST, or draining): the task goes back to its queue for another worker.
 */
export class AgentUnavailableError extends SwitchyardError {
  override readonly name = 'AgentUnavailableError';
  readonly code = 'agent_unavailable';
  override readonly retryable = true;
  constructor(
    readonly taskId: string,
    readonly agentIds: readonly string[],
  ) {
    super(`Task "${taskId}" goes back to its queue: the agents here able to take it (${agentIds.join(', ')}) take no new tasks`);
  }
}

export class AgentNotFoundError extends SwitchyardError {
  override readonly name = 'AgentNotFoundError';
  readonly code = 'agent_not_found';
  constructor(readonly agentId: string) {
    super(`No agent "${agentId}" is registered`);
  }
}

/** An agent with this id is registered and alive. */
export class AgentConflictError extends SwitchyardError {
  override readonly name = 'AgentConflictError';
  readonly code = 'agent_conflict';
  constructor(readonly agentId: string) {
    super(`Agent "${agentId}" is already registered and alive; unregister it first or choose another id`);
  }
}

/** A task waited longer than SWITCHYARD_ADMISSION_TIMEOUT_MS for a live agent able to take it. */
export class AdmissionTimeoutError extends SwitchyardError {
  override readonly name = 'AdmissionTimeoutError';
  readonly code = 'admission_timeout';
  constructor(
    readonly taskId: string,
    readonly reason: string,
    readonly waitedMs: number,
  ) {
    super(`Task "${taskId}" waited ${waitedMs} ms for ${reason}`);
  }
}

export class TaskTimeoutError extends SwitchyardError {
  override readonly name = 'TaskTimeoutError';
  readonly code = 'task_timeout';
  override readonly retryable = true;
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(`Task "${taskId}" did not finish within its timeout of ${timeoutMs} ms`);
  }
}

/** A task of kind `signal` waited its `timeoutMs` without its signal coming. */
export class SignalTimeoutError extends SwitchyardError {
  override readonly name = 'SignalTimeoutError';
  readonly code = 'signal_timeout';
  constructor(
    readonly taskId: string,
    readonly signal: string,
    readonly timeoutMs: number,
  ) {
    super(`Task "${taskId}" waited ${timeoutMs} ms for signal "${signal}", which did not come`);
  }
}

/** A fork of a session that cannot be forked: it has not finished, or it has no plan. */
export class SessionNotForkableError extends SwitchyardError {
  override readonly name = 'SessionNotForkableError';
  readonly code = 'session_not_forkable';
  constructor(
    readonly sessionId: string,
    readonly why: string,
  ) {
    super(`Session "${sessionId}" cannot be forked: ${why}`);
  }
}

/** A signal came for a session none of whose tasks waits for it (now). */
export class SignalNotAwaitedError extends SwitchyardError {
  override readonly name = 'SignalNotAwaitedError';
  readonly code = 'signal_not_awaited';
  constructor(
    readonly sessionId: string,
    readonly signal: string,
  ) {
    super(`No task of session "${sessionId}" waits for signal "${signal}" now`);
  }
}

/** A signal came again after its task had received it: a signal is delivered once. */
export class SignalDeliveredError extends SwitchyardError {
  override readonly name = 'SignalDeliveredError';
  readonly code = 'signal_delivered';
  constructor(
    readonly sessionId: string,
    readonly signal: string,
    readonly taskId: string,
  ) {
    super(`Signal "${signal}" of session "${sessionId}" was delivered already (to task "${taskId}"); a signal is delivered once`);
  }
}

/** An agent returned something that is not what its task promises (e.g. a planner's invalid plan). */
export class InvalidAgentOutputError extends SwitchyardError {
  override readonly name = 'InvalidAgentOutputError';
  readonly code = 'invalid_agent_output';
  constructor(
    readonly agentId: string,
    detail: string,
  ) {
    super(`Agent "${agentId}" returned an invalid result: ${detail}`);
  }
}

/**
 * An agent's output (as JSON), or the subtasks it returned, is larger than
 * SWITCHYARD_MAX_OUTPUT_BYTES: the task fails without retries, and nothing of the output is stored.
 */
export class OutputTooLargeError extends SwitchyardError {
  override readonly name = 'OutputTooLargeError';
  readonly code = 'output_too_large';
  constructor(
    readonly taskId: string,
    readonly bytes: number,
    readonly limit: number,
    what = 'an output',
  ) {
    super(`Task "${taskId}" returned ${what} of ${bytes} bytes as JSON, over the limit of ${limit} bytes (SWITCHYARD_MAX_OUTPUT_BYTES); it was not stored`);
  }
}

/**
 * Storing a task's output would take its session's stored outputs over
 * SWITCHYARD_MAX_SESSION_BYTES: the task fails without retries, and its output is not stored.
 */
export class SessionOutputsFullError extends SwitchyardError {
  override readonly name = 'SessionOutputsFullError';
  readonly code = 'session_outputs_full';
  constructor(
    readonly sessionId: string,
    readonly taskId: string,
    readonly bytes: number,
    /** What the session's outputs held before. */
    readonly heldBytes: number,
    readonly limit: number,
  ) {
    super(
      `Task "${taskId}"'s output of ${bytes} bytes would take session "${sessionId}"'s stored outputs from ${heldBytes} to ` +
        `${heldBytes + bytes} bytes, over the limit of ${limit} bytes (SWITCHYARD_MAX_SESSION_BYTES); it was not stored`,
    );
  }
}

/** A worker's agents are declared wrongly; the worker refuses to start. */
export class AgentDefinitionError extends SwitchyardError {
  override readonly name = 'AgentDefinitionError';
  readonly code = 'agent_definition';
}

/** The session was cancelled; a running agent's AbortSignal carries this as its reason. */
export class SessionCancelledError extends SwitchyardError {
  override readonly name = 'SessionCancelledError';
  readonly code = 'session_cancelled';
  constructor(readonly sessionId: string) {
    super(`Session "${sessionId}" was cancelled`);
  }
}

/** The session already finished, so it cannot be cancelled or changed any more. */
export class SessionFinishedError extends SwitchyardError {
  override readonly name = 'SessionFinishedError';
  readonly code = 'session_finished';
  constructor(
    readonly sessionId: string,
    readonly status: string,
    what = 'there is nothing to cancel',
  ) {
    super(`Session "${sessionId}" already ${status}; ${what}`);
  }
}

export class TaskNotFoundError extends SwitchyardError {
  override readonly name = 'TaskNotFoundError';
  readonly code = 'task_not_found';
  constructor(
    readonly sessionId: string,
    readonly taskId: string,
  ) {
    super(`Session "${sessionId}" has no task "${taskId}"`);
  }
}

/** Operator input was given for a task that is not waiting for it. */
export class TaskNotPausedError extends SwitchyardError {
  override readonly name = 'TaskNotPausedError';
  readonly code = 'task_not_paused';
  constructor(
    readonly taskId: string,
    readonly status: string,
  ) {
    super(`Task "${taskId}" is ${status}, not paused: only a paused task takes operator input`);
  }
}

/** An `Idempotency-Key` came back with a different request than the one it first came with. */
export class IdempotencyKeyReusedError extends SwitchyardError {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly code = 'idempotency_key_reused';
  constructor(readonly sessionId: string) {
    super(`This Idempotency-Key already started session "${sessionId}" with a different request; use a new key for a new request`);
  }
}

/** The first request with this `Idempotency-Key` is still being processed. */
export class IdempotencyKeyInUseError extends SwitchyardError {
  override readonly name = 'IdempotencyKeyInUseError';
  readonly code = 'idempotency_key_in_use';
  override readonly retryable = true;
  constructor() {
    super('A request with this Idempotency-Key is still being processed; retry in a moment');
  }
}

/** A state key or value breaks a limit or is not JSON; `issues` names the entry. */
export class StateValueError extends ValidationFailedError {
  override readonly name: string = 'StateValueError';
  constructor(path: string, message: string) {
    super([{ path, message }], 'Invalid session state entry');
  }
}

/** The agent's permission level does not allow this write (readonly agents write nothing; limited ones not the shared scope). */
export class StatePermissionError extends SwitchyardError {
  override readonly name = 'StatePermissionError';
  readonly code = 'state_permission_denied';
  constructor(
    readonly agentId: string,
    readonly permission: string,
    readonly scope: string,
  ) {
    super(`Agent "${agentId}" (permission ${permission}) may not write the ${scope} scope of the session state`);
  }
}

/** An entry changed since it was read (a compare-and-set or a transaction lost the race); read again and retry. */
export class StateConflictError extends SwitchyardError {
  override readonly name = 'StateConflictError';
  readonly code = 'state_conflict';
  override readonly retryable = true;
  constructor(
    readonly entry: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`State entry ${entry} is at version ${actualVersion}, not ${expectedVersion} as read: it changed meanwhile; nothing was written`);
  }
}

/** A transaction's lock could not be taken: held by another transaction for too long, or too few lock servers answered. */
export class StateLockUnavailableError extends SwitchyardError {
  override readonly name = 'StateLockUnavailableError';
  readonly code = 'state_lock_unavailable';
  override readonly retryable = true;
  constructor(
    readonly resources: readonly string[],
    readonly reason: string,
  ) {
    super(`Could not lock ${resources.length} state entr${resources.length === 1 ? 'y' : 'ies'}: ${reason}; nothing was written`);
  }
}

/** A transaction outlived its lock: another writer may have taken the entries, so the commit wrote nothing. */
export class StateLockExpiredError extends SwitchyardError {
  override readonly name = 'StateLockExpiredError';
  readonly code = 'state_lock_expired';
  constructor(readonly lockTtlMs: number) {
    super(
      `The transaction's lock (${lockTtlMs} ms) expired before it committed; nothing was written. Make the transaction faster or give it a longer lockTtlMs`,
    );
  }
}

/** A transaction was used after its commit or rollback. */
export class StateTransactionClosedError extends SwitchyardError {
  override readonly name = 'StateTransactionClosedError';
  readonly code = 'state_transaction_closed';
  constructor(readonly how: 'committed' | 'rolled back') {
    super(`The transaction was already ${how}; begin a new one`);
  }
}

/** The deployment was initialized with a different shape than this process is configured with. */
export class DeploymentMismatchError extends SwitchyardError {
  override readonly name = 'DeploymentMismatchError';
  readonly code = 'deployment_mismatch';
  constructor(
    readonly recorded: { shards: number },
    readonly configured: { shards: number },
  ) {
    super(
      `This deployment was initialized with ${recorded.shards} shard(s) but this API runs with ${configured.shards}: ` +
        `set SWITCHYARD_SHARDS=${recorded.shards}, or use another SWITCHYARD_PREFIX for a new deployment`,
    );
  }
}

/** Redis Cluster puts a shard tag in another slot than Switchyard computed: the shards would not land where the map says. */
export class ShardTagSlotError extends SwitchyardError {
  override readonly name = 'ShardTagSlotError';
  readonly code = 'shard_tag_slot';
  constructor(
    readonly tag: string,
    readonly clusterSlot: number,
    readonly computedSlot: number,
  ) {
    super(`CLUSTER KEYSLOT puts the shard tag ${tag} in slot ${clusterSlot}, but Switchyard computed ${computedSlot}: report this as a bug`);
  }
}

/**
 * A task's BullMQ job failed for good while its task still showed unfinished: its failure was
 * never recorded (Redis refused it, or the job stalled too often). The session's root job finds
 * it, and the task's failure policy applies.
 */
export class TaskJobFailedError extends SwitchyardError {
  override readonly name = 'TaskJobFailedError';
  readonly code = 'task_job_failed';
  constructor(
    readonly taskId: string,
    readonly reason: string,
  ) {
    super(`Task "${taskId}"'s job failed without its task recording it (${reason})`);
  }
}

/**
 * A remote agent's lease on a task lapsed without a heartbeat: the task goes back and runs again
 * (by its attempts), whatever the agent still sends for this lease is refused.
 */
export class RemoteLeaseLostError extends SwitchyardError {
  override readonly name = 'RemoteLeaseLostError';
  readonly code = 'remote_lease_lost';
  override readonly retryable = true;
  constructor(
    readonly taskId: string,
    readonly agentId: string,
  ) {
    super(`Remote agent "${agentId}" lost its lease on task "${taskId}": no heartbeat before the lease expired; the task runs again`);
  }
}

/** A remote agent failed its task (POST .../fail); whether it is retried is the agent's `retryable` (default true). */
export class RemoteAgentFailedError extends SwitchyardError {
  override readonly name = 'RemoteAgentFailedError';
  readonly code: string;
  override readonly retryable: boolean;
  constructor(
    readonly taskId: string,
    readonly agentId: string,
    message: string,
    options: { code?: string; retryable?: boolean } = {},
  ) {
    super(message);
    this.code = options.code ?? 'remote_agent_failed';
    this.retryable = options.retryable ?? true;
  }
}

/**
 * A remote agent's heartbeat, complete or fail carried a lease that is not (or no longer) its
 * own on that task: it expired (the task went back), was settled already, or never existed.
 */
export class RemoteLeaseConflictError extends SwitchyardError {
  override readonly name = 'RemoteLeaseConflictError';
  readonly code = 'remote_lease_conflict';
  constructor(
    readonly agentId: string,
    readonly taskId: string,
    readonly reason: 'expired' | 'unknown',
  ) {
    super(
      reason === 'expired'
        ? `The lease of agent "${agentId}" on task "${taskId}" has expired; the task goes back to run again. Poll tasks/next for work`
        : `Agent "${agentId}" holds no lease on task "${taskId}" with this token (settled already, expired, or never handed out). Poll tasks/next for work`,
    );
  }
}

/** The agent of a remote-agent route was not registered over REST by the caller's tenant. */
export class RemoteAgentNotFoundError extends SwitchyardError {
  override readonly name = 'RemoteAgentNotFoundError';
  readonly code = 'remote_agent_not_found';
  constructor(readonly agentId: string) {
    super(`No agent "${agentId}" was registered over REST by your tenant; register it with POST /api/orchestrator/agents first`);
  }
}
