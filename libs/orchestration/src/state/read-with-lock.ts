import type { Redis } from 'ioredis';
import { sendFlat } from '../redis/flat-command';
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
 * The lock server Redlock is given when the state has one Redis: the state's own connection, whose
 * acquisition can carry a read. Redlock stays in charge of the lock (its token, retries with
 * jitter, expiry with the clock-drift margin, release); only its acquire command, when a read was
 * attached with {@link readWith}, runs as `SET NX PX` and `HGET`s sent together (one lock key) or
 * as acquire-and-read.lua (several), so a read-modify-write gets its lock and the value in one round
 * trip instead of two. The answer Redlock sees is the same number its own script gives.
 */
export class ReadWithLock {
  private pending?: Pending;
  /** The SHA of Redlock's acquire script (set once Redlock exists): only its calls carry a read. */
  acquireSha = '';

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

  /** Redlock's calls: its acquire, extend and release scripts by SHA. */
  evalsha(sha: string, numKeys: number, args: (string | number)[]): Promise<unknown> {
    const pending = this.pending;
    if (!pending || sha !== this.acquireSha) return sendFlat(this.client, 'evalsha', [sha, numKeys, ...args]);
    this.pending = undefined;
    const [token, ttlMs] = args.slice(numKeys);
    if (numKeys === 1) return this.setAndRead(String(args[0]), token, ttlMs, pending);
    const { keys, args: readArgs } = pending.request;
    const lockKeys = args.slice(0, numKeys) as string[];
    return acquireAndRead(this.client, { lockKeys, token, ttlMs, read: { keys, fields: readArgs } }).then((answer) => {
      if (!answer.granted) return 0;
      pending.reply = answer.values;
      return answer.locks;
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
  private setAndRead(lockKey: string, token: string | number, ttlMs: string | number, pending: Pending): Promise<number> {
    const granted = sendFlat(this.client, 'set', [lockKey, token, 'NX', 'PX', ttlMs]);
    const { keys, args } = pending.request;
    // Should the read fail, the transaction reads for itself: its error is nobody's to handle
    // (the lock's, when the connection failed both, goes to Redlock).
    const read = Promise.all(keys.map((key, i) => sendFlat(this.client, 'hget', [key, args[i]]))).catch(() => undefined);
    return granted.then(async (answer) => {
      if (answer === null) return 0;
      pending.reply = await read;
      return 1;
    });
  }

  /** Redlock's fallback when Redis lost its script. */
  eval(script: string, numKeys: number, args: (string | number)[]): Promise<unknown> {
    return this.client.eval(script, numKeys, ...args);
  }
}
