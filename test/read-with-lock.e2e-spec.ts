import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ReadWithLock } from '@switchyard/orchestration/state/read-with-lock';
import { REDIS_URL } from './support/stack';

/**
 * The lock server Redlock sees with one Redis (ReadWithLock), on the real Redis: what becomes of
 * the read sent behind a lock's `SET` when the acquisition fails.
 */
describe('an acquisition that carries a read', () => {
  const base = `t${randomBytes(5).toString('hex')}:read-with-lock`;
  let probe: Redis;

  beforeAll(() => {
    probe = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await probe.del(`${base}:lock`, `${base}:hash`);
    await probe.quit();
  });

  /** Rejections nobody handled while `work` ran, and for a few turns of the event loop after it. */
  const unhandledDuring = async (work: () => Promise<void>) => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      await work();
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', listener);
    }
    return unhandled;
  };

  const acquire = (client: Redis) => {
    const reading = new ReadWithLock(client);
    return reading.readWith({ keys: [`${base}:hash`], args: ['field'] }, async () => reading.acquire([`${base}:lock`], 'token', 10_000));
  };

  it('answers the read when the lock is granted, and none when the key is taken', async () => {
    const client = new Redis(REDIS_URL);
    try {
      await probe.hset(`${base}:hash`, 'field', 'stored');
      const granted = acquire(client);
      expect(await granted.acquiring).toBe(true);
      expect(granted.read()).toEqual(['stored']);
      const taken = acquire(client);
      expect(await taken.acquiring).toBe(false);
      expect(taken.read()).toBeUndefined();
    } finally {
      await probe.del(`${base}:lock`);
      await client.quit();
    }
  });

  it('leaves no rejection unhandled when the connection closes under it, the read failing with the lock', async () => {
    // Not connected yet: both commands wait in the client's offline queue, which closing it fails.
    const client = new Redis(REDIS_URL, { lazyConnect: true });
    const unhandled = await unhandledDuring(async () => {
      const { acquiring, read } = acquire(client);
      client.disconnect();
      await expect(acquiring).rejects.toThrow(/Connection is closed/);
      expect(read()).toBeUndefined();
    });
    expect(unhandled).toEqual([]);
  });
});
