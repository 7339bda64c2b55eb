import type { Redis } from 'ioredis';
import { strict } from '../../testing/strict-fake';
import { LockAcquirer, redlockOnOneRedis } from './redlock-on-one-redis';

/** A client whose evalsha answers `reply` (Redlock's own scripts), recording each call. */
function clientAnswering(reply: number, calls: unknown[][]): Redis {
  return strict<Redis>('client', {
    evalsha: (...args: unknown[]) => (calls.push(args), Promise.resolve(reply)),
  });
}

describe('redlockOnOneRedis', () => {
  it("hands an acquire attempt to the acquirer, and turns its answer into Redlock's reply", async () => {
    const calls: unknown[][] = [];
    const seen: unknown[][] = [];
    const acquirer: LockAcquirer = { acquire: (keys, value, ttlMs) => (seen.push([keys, value, ttlMs]), Promise.resolve(true)) };
    const redlock = redlockOnOneRedis(clientAnswering(2, calls), acquirer, { retryCount: 0 });
    const lock = await redlock.acquire(['a', 'b'], 1000);
    expect(seen).toEqual([[['a', 'b'], lock.value, 1000]]);
    // The release is Redlock's own script, on the client.
    await redlock.release(lock);
    expect(calls).toEqual([[redlock.scripts.releaseScript.hash, 2, 'a', 'b', lock.value]]);
  });

  it('refuses the lock when the acquirer answers false', async () => {
    const calls: unknown[][] = [];
    const redlock = redlockOnOneRedis(clientAnswering(0, calls), { acquire: () => Promise.resolve(false) }, { retryCount: 0 });
    await expect(redlock.acquire(['a'], 1000)).rejects.toThrow(/unable to achieve a quorum/);
    // Redlock then releases what a minority might hold, with its own script.
    expect(calls.map(([sha]) => sha)).toEqual([redlock.scripts.releaseScript.hash]);
  });

  it("sends Redlock's own acquire script when the acquirer leaves the attempt", async () => {
    const calls: unknown[][] = [];
    const redlock = redlockOnOneRedis(clientAnswering(1, calls), { acquire: () => undefined }, { retryCount: 0 });
    const lock = await redlock.acquire(['k'], 1000);
    expect(calls).toEqual([[redlock.scripts.acquireScript.hash, 1, 'k', lock.value, 1000]]);
  });
});
