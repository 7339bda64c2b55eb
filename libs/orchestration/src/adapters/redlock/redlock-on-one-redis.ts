import type { Redis } from 'ioredis';
import Redlock, { type Settings } from 'redlock';

/** Carries out Redlock's acquire attempts in place of its script. */
export interface LockAcquirer {
  /**
   * Sets each of `keys` to `value` for `ttlMs` if none of them is set, and answers whether it
   * did; or answers undefined, and Redlock's own acquire script runs instead.
   */
  acquire(keys: readonly string[], value: string, ttlMs: number): Promise<boolean> | undefined;
}

/** The lock server Redlock is given: `client`, with acquire attempts offered to `acquirer` first. */
class OneRedisLockServer {
  /** The SHA of Redlock's acquire script, known once Redlock exists. */
  acquireSha = '';

  constructor(
    private readonly client: Redis,
    private readonly acquirer: LockAcquirer,
  ) {}

  evalsha(sha: string, numKeys: number, args: (string | number)[]): Promise<unknown> {
    if (sha === this.acquireSha) {
      const [value, ttlMs] = args.slice(numKeys);
      const granted = this.acquirer.acquire(args.slice(0, numKeys) as string[], String(value), Number(ttlMs));
      if (granted) return granted.then((ok) => (ok ? numKeys : 0));
    }
    return this.client.evalsha(sha, numKeys, ...args);
  }

  eval(script: string, numKeys: number, args: (string | number)[]): Promise<unknown> {
    return this.client.eval(script, numKeys, ...args);
  }
}

/**
 * A Redlock whose one lock server is `client`, and whose acquire attempts go to `acquirer` first
 * (see {@link LockAcquirer}). Extend and release are Redlock's own scripts, on `client`.
 */
export function redlockOnOneRedis(client: Redis, acquirer: LockAcquirer, settings: Partial<Settings>): Redlock {
  const server = new OneRedisLockServer(client, acquirer);
  const redlock = new Redlock([server as unknown as Redis], settings);
  server.acquireSha = redlock.scripts.acquireScript.hash;
  return redlock;
}
