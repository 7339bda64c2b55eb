import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { oneWritePerTick } from '@switchyard/orchestration/redis/one-write-per-tick';
import { REDIS_URL } from './support/stack';

/** Gathering one tick's commands into one socket write, on the real Redis. */
describe('oneWritePerTick', () => {
  let client: Redis;
  const key = `t${randomBytes(5).toString('hex')}:one-write`;

  beforeAll(async () => {
    client = new Redis(REDIS_URL);
    await client.ping();
  });
  afterAll(async () => {
    await client.del(key);
    await client.quit();
  });

  it('holds the socket writes of one tick back until it ends, keeps the commands in order, and lets go after', async () => {
    oneWritePerTick(client);
    const replies = [client.incr(key), client.incr(key)];
    // A second call in the same tick changes nothing.
    oneWritePerTick(client);
    replies.push(client.incr(key));
    expect(client.stream.writableCorked).toBe(1);
    expect(await Promise.all(replies)).toEqual([1, 2, 3]);
    expect(client.stream.writableCorked).toBe(0);
    expect(await client.incr(key)).toBe(4);
  });

  it('leaves a client that is not connected alone', async () => {
    const idle = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      oneWritePerTick(idle);
      expect(idle.status).toBe('wait');
    } finally {
      idle.disconnect();
    }
  });
});
