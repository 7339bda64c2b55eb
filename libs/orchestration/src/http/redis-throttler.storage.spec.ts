import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { SwitchyardConfig } from '../config/switchyard-config';
import type { RedisConnections } from '../redis/redis-connections.service';
import { RedisScript } from '../redis/redis-script';
import { RATE_LIMIT_WAIT_MS, RedisThrottlerStorage } from './redis-throttler.storage';

/** A storage whose counting script (rate-limit-hit.lua, run by RedisScript) answers `reply()`. */
function storageAnswering(reply: () => Promise<unknown>, redisWaitMs = 2000) {
  jest.spyOn(RedisScript.prototype, 'run').mockImplementation(reply);
  const storage = new RedisThrottlerStorage({ client: {} as Redis } as RedisConnections, { redisWaitMs, prefix: 't' } as SwitchyardConfig);
  return { storage };
}

const UNCOUNTED = { totalHits: 0, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 };

describe('RedisThrottlerStorage', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    // The logger's spy and the script's.
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it("answers Redis' count", async () => {
    const { storage } = storageAnswering(async () => [3, 59_500, -2]);
    expect(await storage.increment('key:ci', 60_000, 100, 60_000, 'default')).toEqual({
      totalHits: 3,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('lets a request through uncounted when Redis refuses to count it (out of memory, down)', async () => {
    const { storage } = storageAnswering(async () => {
      throw Object.assign(new Error('OOM command not allowed'), { name: 'ReplyError' });
    });
    expect(await storage.increment('key:ci', 60_000, 100, 60_000, 'default')).toEqual(UNCOUNTED);
  });

  it('lets a request through uncounted when Redis does not count it within the bound, and the shorter of the two bounds holds', async () => {
    jest.useFakeTimers();
    for (const [redisWaitMs, bound] of [
      [2000, RATE_LIMIT_WAIT_MS],
      [100, 100],
    ]) {
      const { storage } = storageAnswering(() => new Promise(() => undefined), redisWaitMs);
      let answer: unknown;
      void storage.increment('key:ci', 60_000, 100, 60_000, 'default').then((a) => (answer = a));
      await jest.advanceTimersByTimeAsync(bound - 1);
      expect(answer).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      expect(answer).toEqual(UNCOUNTED);
    }
  });

  it('warns once a minute at most while requests go uncounted', async () => {
    jest.useFakeTimers();
    const { storage } = storageAnswering(async () => {
      throw new Error('Connection is closed.');
    });
    for (let i = 0; i < 5; i++) await storage.increment('key:ci', 60_000, 100, 60_000, 'default');
    expect(warn).toHaveBeenCalledTimes(1);
    jest.setSystemTime(Date.now() + 60_000);
    await storage.increment('key:ci', 60_000, 100, 60_000, 'default');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[1][0]).toMatchObject({ uncounted: 5, error: 'Connection is closed.' });
  });
});
