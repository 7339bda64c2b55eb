import { StateLockExpiredError, StateTransactionClosedError, StateValueError } from '../errors/errors';
import { StateRef, StateTransaction, StateWriteOptions, Versioned } from './state-handle';
import { EntryAddress } from './state-keys';
import { FenceCheck, StateCheck, StateEngine, StateOp, entryPath } from './state-engine';
import { HeldLock, StateLocks } from './state-locks.service';
import type { Lock } from 'redlock';

/** What a transaction needs from its handle: where refs live (checking the right to write) and the settings. */
export interface TransactionScope {
  readonly engine: StateEngine;
  readonly locks: StateLocks;
  resolve(ref: StateRef, write: boolean): EntryAddress;
  encode(entry: EntryAddress, value: unknown): string;
  ttlFor(entry: EntryAddress, options: Pick<StateWriteOptions, 'ttlMs'> | undefined, onlyIfNone: boolean): number;
}

type Held = HeldLock & { lock: Lock };

/** One entry's identity among a transaction's reads. */
const readId = (entry: EntryAddress) => `${entry.dataKey}\n${entry.dataField}`;

/** See {@link StateTransaction}. Locks taken by `begin` are passed in; `commit` takes the rest. */
export class Transaction implements StateTransaction {
  private readonly reads = new Map<string, StateCheck>();
  /** Entries read as their locks were taken, each handed to the first `get` of it. */
  private readonly prefetched = new Map<string, Versioned<unknown>>();
  private readonly ops: StateOp[] = [];
  private closed?: 'committed' | 'rolled back';

  constructor(
    private readonly scope: TransactionScope,
    private readonly held: Held[],
    private readonly lockTtlMs: number,
    prefetched: readonly (Versioned<unknown> & { entry: EntryAddress })[] = [],
  ) {
    for (const { entry, value, version } of prefetched) this.prefetched.set(readId(entry), { value, version });
  }

  get open(): boolean {
    return this.closed === undefined;
  }

  /**
   * Reads the committed value (not this transaction's own pending writes) and remembers its
   * version for the commit's check. The first read of an entry locked by `begin` answers what was
   * read as its lock was taken.
   */
  async get<T = unknown>(ref: StateRef): Promise<T | undefined> {
    this.ensureOpen();
    const entry = this.scope.resolve(ref, false);
    const id = readId(entry);
    let read = this.prefetched.get(id);
    if (read) this.prefetched.delete(id);
    else [read] = await this.scope.engine.read([entry]);
    if (!this.reads.has(id)) this.reads.set(id, { entry, version: read.version });
    return read.value as T | undefined;
  }

  set(ref: StateRef, value: unknown, options?: Pick<StateWriteOptions, 'ttlMs'>): this {
    const entry = this.writable(ref);
    this.ops.push({ kind: 'set', entry, payload: this.scope.encode(entry, value), ttlMs: this.scope.ttlFor(entry, options, false) });
    return this;
  }

  delete(ref: StateRef): this {
    const entry = this.writable(ref);
    this.ops.push({ kind: 'del', entry, payload: '', ttlMs: 0 });
    return this;
  }

  increment(ref: StateRef, by = 1): this {
    const entry = this.writable(ref);
    if (!Number.isFinite(by)) throw new StateValueError(entryPath(entry), 'can only be incremented by a finite number');
    this.ops.push({ kind: 'incr', entry, payload: String(by), ttlMs: this.scope.ttlFor(entry, undefined, true) });
    return this;
  }

  append(ref: StateRef, values: readonly unknown[]): this {
    const entry = this.writable(ref);
    if (values.length === 0) throw new StateValueError(entryPath(entry), 'append needs at least one value');
    const payload = values.map((v) => this.scope.encode(entry, v)).join(',');
    this.ops.push({ kind: 'append', entry, payload, ttlMs: this.scope.ttlFor(entry, undefined, true) });
    return this;
  }

  async commit(): Promise<number> {
    this.ensureOpen();
    this.closed = 'committed';
    try {
      if (this.ops.length === 0) return 0;
      const missing = this.unlocked();
      const locks = this.scope.locks;
      if (missing.length === 1 && this.held.length === 0 && locks.local) {
        // One entry, no lock held: optimistic. The version checks keep it from overwriting what
        // changed since it was read, and the script refuses while another transaction holds the
        // entry's lock (then it waits, as taking the lock would): no lock of its own is needed.
        const checks = [...this.reads.values()];
        return (await locks.whileLocked(missing, () => this.scope.engine.apply(this.ops, checks, [], missing))).version;
      }
      if (missing.length > 0) this.held.push(await locks.acquire(missing, this.lockTtlMs));
      const fences: FenceCheck[] = [];
      for (const held of this.held) {
        if (held.fenced) {
          // The commit script checks these keys itself, atomically with its writes.
          for (const lockKey of held.resources) fences.push({ lockKey, token: held.token, ttlMs: held.ttlMs });
        } else if (Date.now() >= held.expiresAt) {
          // Locks on other servers cannot be checked inside the script: the clock decides, and the
          // version checks below still refuse anything another writer changed since it was read.
          throw new StateLockExpiredError(held.ttlMs);
        }
      }
      const { version } = await this.scope.engine.apply(this.ops, [...this.reads.values()], fences);
      // The commit script released the locks it checked; only the others are left to release.
      for (let i = this.held.length - 1; i >= 0; i--) if (this.held[i].fenced) this.held.splice(i, 1);
      return version;
    } catch (error) {
      this.closed = 'rolled back';
      if (error instanceof StateLockExpiredError) this.scope.locks.expired();
      throw error;
    } finally {
      if (this.held.length > 0) await this.releaseAll();
    }
  }

  async rollback(): Promise<void> {
    if (this.closed) return;
    this.closed = 'rolled back';
    this.ops.length = 0;
    await this.releaseAll();
  }

  private writable(ref: StateRef): EntryAddress {
    this.ensureOpen();
    return this.scope.resolve(ref, true);
  }

  /** The lock keys of the writes that no lock held yet covers. */
  private unlocked(): string[] {
    // The common case: one lock held (taken by `begin`) on the one entry written.
    if (this.held.length === 1 && this.held[0].resources.length === 1 && this.ops.every((op) => op.entry.lockKey === this.held[0].resources[0])) return [];
    const missing: string[] = [];
    const locked = new Set<string>();
    for (const held of this.held) for (const key of held.resources) locked.add(key);
    for (const op of this.ops) {
      if (!locked.has(op.entry.lockKey)) {
        locked.add(op.entry.lockKey);
        missing.push(op.entry.lockKey);
      }
    }
    return missing;
  }

  private ensureOpen(): void {
    if (this.closed) throw new StateTransactionClosedError(this.closed);
  }

  private async releaseAll(): Promise<void> {
    const held = this.held.splice(0);
    await Promise.all(held.map((h) => this.scope.locks.release(h)));
  }
}
