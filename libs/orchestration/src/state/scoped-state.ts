import { StateSettings } from '../config/switchyard-config';
import { StateConflictError, StatePermissionError, StateValueError } from '../errors/errors';
import { isPlainObject, mergePatch } from './json-merge-patch';
import { checkKey, encodeValue, entryPath, StateEngine, StateOp } from './state-engine';
import { decodeStoredHash } from './stored-value';
import {
  PermissionLevel,
  StateHandle,
  StateRef,
  StateScope,
  StateScopeHandle,
  StateTransaction,
  StateTransactionOptions,
  StateWriteOptions,
  Versioned,
} from './state-handle';
import { EntryAddress } from './state-keys';
import { StateLocks } from './state-locks.service';
import { Transaction, TransactionScope } from './state-transaction';

/** Who uses a handle: an agent (its id owns its private scope) or the operator (no private scope). */
export interface StateActor {
  readonly agentId?: string;
  readonly label: string;
  readonly permission: PermissionLevel;
}

/** Which scopes each permission level may write: readonly nothing, limited its own and temporary entries, full all. */
const WRITABLE: Record<PermissionLevel, readonly StateScope[]> = {
  full: ['shared', 'private', 'temporary'],
  limited: ['private', 'temporary'],
  readonly: [],
};

/** How often `merge` retries its compare-and-set before it gives up with the conflict. */
const MERGE_ATTEMPTS = 100;

/** One actor's handle on one session's state. */
export class ScopedState implements StateHandle, TransactionScope {
  readonly shared: StateScopeHandle;
  readonly private: StateScopeHandle;
  readonly temporary: StateScopeHandle;

  constructor(
    readonly engine: StateEngine,
    readonly locks: StateLocks,
    private readonly settings: StateSettings,
    private readonly actor: StateActor,
  ) {
    this.shared = this.scope('shared');
    this.private = this.scope('private');
    this.temporary = this.scope('temporary');
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.shared.get<T>(key);
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.shared.set(key, value);
  }

  async begin(options: StateTransactionOptions = {}): Promise<StateTransaction> {
    const ttlMs = options.lockTtlMs ?? this.settings.lockTtlMs;
    const byLock = new Map<string, EntryAddress>();
    for (const ref of options.lock ?? []) {
      const entry = this.resolve(ref, false);
      byLock.set(entry.lockKey, entry);
    }
    if (byLock.size === 0) return new Transaction(this, [], ttlMs);
    // The locked entries are what a read-modify-write reads: where the locks live on the
    // engine's connection, the acquisition reads them too.
    const entries = [...byLock.values()];
    const read = this.engine.client === this.locks.client ? this.engine.readRequest(entries) : undefined;
    const held = await this.locks.acquire([...byLock.keys()], ttlMs, read);
    const values = held.read && this.engine.decodeRead(entries, held.read);
    return new Transaction(this, [held], ttlMs, values && entries.map((entry, i) => ({ entry, ...values[i] })));
  }

  async transaction<T>(work: (tx: StateTransaction) => Promise<T>, options: StateTransactionOptions & { retries?: number } = {}): Promise<T> {
    const retries = options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const tx = (await this.begin(options)) as Transaction;
      let result: T;
      try {
        result = await work(tx);
      } catch (error) {
        await tx.rollback();
        throw error;
      }
      try {
        if (tx.open) await tx.commit();
        return result;
      } catch (error) {
        if (!(error instanceof StateConflictError) || attempt >= retries) throw error;
      }
    }
  }

  /** Where a ref lives; with `write`, first checks the actor may write there. */
  resolve(ref: StateRef, write: boolean): EntryAddress {
    const { scope, key } = typeof ref === 'string' ? { scope: 'shared' as const, key: ref } : ref;
    if (scope !== 'shared' && scope !== 'private' && scope !== 'temporary') {
      throw new StateValueError('scope', `must be shared, private or temporary, not ${JSON.stringify(scope)}`);
    }
    checkKey(scope, key, this.settings);
    if (write && !WRITABLE[this.actor.permission].includes(scope)) {
      throw new StatePermissionError(this.actor.label, this.actor.permission, scope);
    }
    if (scope === 'private' && this.actor.agentId === undefined) {
      // The operator has no private scope of its own, and never reads an agent's.
      throw new StatePermissionError(this.actor.label, this.actor.permission, scope);
    }
    return this.engine.keys.entry(scope, key, this.actor.agentId);
  }

  encode(entry: EntryAddress, value: unknown): string {
    return encodeValue(entryPath(entry), value, this.settings);
  }

  ttlFor(entry: EntryAddress, options: Pick<StateWriteOptions, 'ttlMs'> | undefined, onlyIfNone: boolean): number {
    if (options?.ttlMs !== undefined && entry.scope !== 'temporary') {
      throw new StateValueError(entryPath(entry), 'only temporary entries have a ttlMs');
    }
    if (entry.scope !== 'temporary') return 0;
    if (options?.ttlMs !== undefined) {
      if (!Number.isInteger(options.ttlMs) || options.ttlMs < 1)
        throw new StateValueError(entryPath(entry), 'ttlMs must be a whole number of milliseconds, at least 1');
      return options.ttlMs;
    }
    return onlyIfNone ? -this.settings.temporaryTtlMs : this.settings.temporaryTtlMs;
  }

  private scope(scope: StateScope): StateScopeHandle {
    const ref = (key: string) => ({ scope, key });
    const single = async (op: StateOp, ifVersion?: number) => this.engine.apply([op], ifVersion === undefined ? [] : [{ entry: op.entry, version: ifVersion }]);
    const handle: StateScopeHandle = {
      get: async <T>(key: string) => (await handle.getVersioned<T>(key)).value,
      getVersioned: async <T>(key: string) => (await this.engine.read([this.resolve(ref(key), false)]))[0] as Versioned<T>,
      set: async (key, value, options) => {
        const entry = this.resolve(ref(key), true);
        const op: StateOp = { kind: 'set', entry, payload: this.encode(entry, value), ttlMs: this.ttlFor(entry, options, false) };
        return (await single(op, options?.ifVersion)).version;
      },
      delete: async (key, options) => {
        const entry = this.resolve(ref(key), true);
        return (await single({ kind: 'del', entry, payload: '', ttlMs: 0 }, options?.ifVersion)).version;
      },
      list: async () => this.list(scope),
      increment: async (key, by = 1, options) => {
        const entry = this.resolve(ref(key), true);
        if (!Number.isFinite(by)) throw new StateValueError(entryPath(entry), 'can only be incremented by a finite number');
        const { results } = await single({ kind: 'incr', entry, payload: String(by), ttlMs: this.ttlFor(entry, options, options?.ttlMs === undefined) });
        return results[0];
      },
      append: async (key, values, options) => {
        const entry = this.resolve(ref(key), true);
        if (values.length === 0) throw new StateValueError(entryPath(entry), 'append needs at least one value');
        const payload = values.map((v) => this.encode(entry, v)).join(',');
        return (await single({ kind: 'append', entry, payload, ttlMs: this.ttlFor(entry, options, options?.ttlMs === undefined) })).version;
      },
      merge: async (key, patch, options) => {
        const entry = this.resolve(ref(key), true);
        if (!isPlainObject(patch)) throw new StateValueError(entryPath(entry), 'merge takes an object');
        for (let attempt = 1; ; attempt++) {
          const [current] = await this.engine.read([entry]);
          if (current.value !== undefined && !isPlainObject(current.value)) {
            throw new StateValueError(entryPath(entry), 'is not an object, so nothing can be merged into it');
          }
          const merged = mergePatch(current.value ?? {}, patch) as Record<string, unknown>;
          try {
            await handle.set(key, merged, { ...options, ifVersion: current.version });
            return merged;
          } catch (error) {
            if (!(error instanceof StateConflictError) || attempt >= MERGE_ATTEMPTS) throw error;
            await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, attempt * 2)));
          }
        }
      },
    };
    return handle;
  }

  private async list(scope: StateScope): Promise<Record<string, unknown>> {
    const client = this.engine.client;
    const keys = this.engine.keys;
    if (scope === 'shared') return decodeStoredHash(await client.hgetall(keys.shared));
    if (scope === 'private') return decodeStoredHash(await client.hgetall(this.resolve({ scope, key: '_' }, false).dataKey));
    const names = (await client.smembers(keys.index)).map((k) => keys.temporaryKey(k)).filter((k): k is string => k !== undefined);
    const values = await this.engine.read(names.map((name) => keys.entry('temporary', name, undefined)));
    return Object.fromEntries(names.flatMap((name, i) => (values[i].value === undefined ? [] : [[name, values[i].value]])));
  }
}
