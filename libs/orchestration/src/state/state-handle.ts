/**
 * The session state as agents (through `TaskContext.state`) and the API see it: three scopes of
 * JSON values by key, atomic helpers, optimistic compare-and-set by version, and transactions.
 */

/**
 * What an agent may write: `full` every scope, `limited` its private and temporary scopes,
 * `readonly` nothing. It lives here, with the state it guards, so that the agents' contract can
 * name it without the state importing the agents back.
 */
export const PERMISSION_LEVELS = ['full', 'limited', 'readonly'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

export const STATE_SCOPES = ['shared', 'private', 'temporary'] as const;
/**
 * `shared`: every agent of the session reads it, agents with permission `full` write it.
 * `private`: one agent's own; no other agent and no other session can read it.
 * `temporary`: like shared, but every entry expires after its time to live.
 */
export type StateScope = (typeof STATE_SCOPES)[number];

/** An entry of the state; a bare string means that key of the shared scope. */
export type StateRef = string | { readonly scope: StateScope; readonly key: string };

/** A value with the version it was read at; version 0 means the entry does not exist. */
export interface Versioned<T> {
  readonly value: T | undefined;
  readonly version: number;
}

export interface StateWriteOptions {
  /** Write only if the entry is still at this version (0: only if it does not exist), else a StateConflictError. */
  readonly ifVersion?: number;
  /** Temporary scope only: the entry's time to live (default SWITCHYARD_STATE_TEMP_TTL_MS). */
  readonly ttlMs?: number;
}

/** One scope of the session's state. Every write answers the entry's new version. */
export interface StateScopeHandle {
  get<T = unknown>(key: string): Promise<T | undefined>;
  getVersioned<T = unknown>(key: string): Promise<Versioned<T>>;
  set(key: string, value: unknown, options?: StateWriteOptions): Promise<number>;
  delete(key: string, options?: StateWriteOptions): Promise<number>;
  /** Every entry of the scope, by key. */
  list(): Promise<Record<string, unknown>>;
  /** Adds `by` (default 1) to a number entry (a missing one counts as 0), atomically; answers the new number. */
  increment(key: string, by?: number, options?: Pick<StateWriteOptions, 'ttlMs'>): Promise<number>;
  /** Appends values to an array entry (a missing one counts as []), atomically; answers the new version. */
  append(key: string, values: readonly unknown[], options?: Pick<StateWriteOptions, 'ttlMs'>): Promise<number>;
  /**
   * Merges `patch` into an object entry (JSON Merge Patch: a key set to null is removed), by
   * compare-and-set, retried until it applies; answers the merged object.
   */
  merge(key: string, patch: Record<string, unknown>, options?: Pick<StateWriteOptions, 'ttlMs'>): Promise<Record<string, unknown>>;
}

export interface StateTransactionOptions {
  /**
   * Entries to lock when the transaction begins, so reads inside it are not raced (read-modify-
   * write). A commit also locks every other entry it writes. With one Redis, they are read as the
   * lock is taken, and the first `get` of each answers that read (the commit checks its version).
   */
  readonly lock?: readonly StateRef[];
  /** How long the locks last (default SWITCHYARD_STATE_LOCK_TTL_MS): a slower transaction fails at commit. */
  readonly lockTtlMs?: number;
}

/**
 * Reads record the version they saw; writes are buffered. `commit` locks what it writes, checks
 * that its locks are still held and nothing it read has changed, and applies every write or none
 * in one script, all at one new version. `rollback` discards the writes. Both release the locks.
 */
export interface StateTransaction {
  get<T = unknown>(ref: StateRef): Promise<T | undefined>;
  set(ref: StateRef, value: unknown, options?: Pick<StateWriteOptions, 'ttlMs'>): this;
  delete(ref: StateRef): this;
  increment(ref: StateRef, by?: number): this;
  append(ref: StateRef, values: readonly unknown[]): this;
  /** Applies everything or nothing; answers the version the writes got (0 when there were none). */
  commit(): Promise<number>;
  rollback(): Promise<void>;
}

/** The shared scope of the session's state: what agents written before scopes existed use. */
export interface SharedStateHandle {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

/** An agent's (or the operator's) view of one session's state. `get` / `set` are the shared scope's. */
export interface StateHandle extends SharedStateHandle {
  readonly shared: StateScopeHandle;
  readonly private: StateScopeHandle;
  readonly temporary: StateScopeHandle;
  begin(options?: StateTransactionOptions): Promise<StateTransaction>;
  /**
   * Runs `work` in a transaction and commits it; if `work` throws, rolls back and rethrows. A
   * commit that lost a race (StateConflictError) runs `work` again, up to `retries` times (default 3).
   */
  transaction<T>(work: (tx: StateTransaction) => Promise<T>, options?: StateTransactionOptions & { retries?: number }): Promise<T>;
}
