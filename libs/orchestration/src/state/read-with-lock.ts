import type { Redis } from 'ioredis';
import type { LockAcquirer } from '../adapters/redlock';
import { acquireAndRead } from './scripts/acquire-and-read';

/** What to read as a lock is granted: keys and fields of read-entries.lua's layout (see state-engine). */
export interface ReadRequest {
  readonly keys: readonly string[];
  readonly args: readonly string[];
}

interface Pending {
  readonly request: ReadRequest;
  reply?: unknown[];
}

/**
 * Carries out Redlock's acquire attempts when the state has one Redis (see redlockOnOneRedis):
 * an attempt with a read attached by {@link readWith} runs as `SET NX PX` and `HGET`s sent
 * together (one lock key) or as acquire-and-read.lua (several), so that a read-modify-write gets its
 * lock and the value in one round trip instead of two. Redlock stays in charge of the lock (its
 * token, retries with jitter, expiry with the clock-drift margin, release); other attempts run
 * Redlock's own script.
 */
export class ReadWithLock implements LockAcquirer {
  private pending?: Pending;

  constructor(private readonly client: Redis) {}

  /**
   * Runs `acquire`, which must send Redlock's first acquire attempt at once (Redlock does, before
   * its first await), with `request` attached to that attempt. Answers the acquisition and a
   * function giving the read's reply: present only if that first attempt sent it and was granted.
   */
  readWith<T>(request: ReadRequest, acquire: () => Promise<T>): { acquiring: Promise<T>; read: () => unknown[] | undefined } {
    const pending: Pending = { request };
    this.pending = pending;
    try {
      return { acquiring: acquire(), read: () => pending.reply };
    } finally {
      // An attempt that did not go out at once (Redlock waited) reads nothing.
      this.pending = undefined;
    }
  }

  /** An acquire attempt of Redlock's: carried out here when a read is attached to it. */
  acquire(lockKeys: readonly string[], token: string, ttlMs: number): Promise<boolean> | undefined {
    const pending = this.pending;
    if (!pending) return undefined;
    this.pending = undefined;
    if (lockKeys.length === 1) return this.setAndRead(lockKeys[0], token, ttlMs, pending);
    const { keys, args: readArgs } = pending.request;
    return acquireAndRead(this.client, { lockKeys: [...lockKeys], token, ttlMs, read: { keys, fields: readArgs } }).then((answer) => {
      if (!answer.granted) return false;
      pending.reply = answer.values;
      return true;
    });
  }

  /**
   * One lock key (the common case): Redlock's acquire is then one `SET NX PX`, sent as such, with
   * an `HGET` of each entry to read right behind it on the same connection, so that Redis runs
   * them one after the other and both answer in one round trip — cheaper for Redis than a script
   * call, which costs more than the commands it makes. Another client's command may run
   * between the two; the read is still no older than the lock, and the commit's version check
   * refuses what changed after it.
   */
  private setAndRead(lockKey: string, token: string, ttlMs: number, pending: Pending): Promise<boolean> {
    const granted = this.client.call('set', lockKey, token, 'NX', 'PX', ttlMs);
    const { keys, args } = pending.request;
    // Should the read fail, the transaction reads for itself: its error is nobody's to handle
    // (the lock's, when the connection failed both, goes to Redlock).
    const read = Promise.all(keys.map((key, i) => this.client.call('hget', key, args[i]))).catch(() => undefined);
    return granted.then(async (answer) => {
      if (answer === null) return false;
      pending.reply = await read;
      return true;
    });
  }
}
