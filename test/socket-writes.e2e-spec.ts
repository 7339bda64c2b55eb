import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inOneWrite, oneWritePerTick, repliesOrThrow, transaction } from '@switchyard/orchestration/adapters/ioredis';
import { RedisWriteBatcher } from '@switchyard/orchestration/redis/write-batcher.service';
import type { RedisConnections } from '@switchyard/orchestration/redis/redis-connections.service';
import type { SwitchyardConfig } from '@switchyard/orchestration/config/switchyard-config';
import { REDIS_URL } from './support/stack';

/** Gathering commands into one socket write, and transactions sent that way, on the real Redis. */
describe('socket writes', () => {
  let client: Redis;
  const key = `t${randomBytes(5).toString('hex')}:one-write`;

  beforeAll(async () => {
    client = new Redis(REDIS_URL);
    await client.ping();
  });
  afterAll(async () => {
    await client.del(key, `${key}:stream`, `${key}:string`, `${key}:tx`, `${key}:tx-hash`);
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

  it('inOneWrite puts what it sends on the socket in one write, in order, and answers what it returned', async () => {
    const spy = jest.spyOn(client.stream, 'write');
    const written = jest.spyOn(client.stream, '_writev' as never);
    try {
      const replies = inOneWrite(client, () => [client.set(key, '10'), client.incr(key), client.incrby(key, 5)]);
      expect(client.stream.writableCorked).toBe(0);
      expect(await Promise.all(replies)).toEqual(['OK', 11, 16]);
      // Three commands were handed to the socket, which sent them together.
      expect(spy).toHaveBeenCalledTimes(3);
      expect(written).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
      written.mockRestore();
    }
  });

  it("a write batcher's flush sends every contributor's commands, and counts the ones Redis refused without failing the others", async () => {
    const connections = { client, beforeClose: () => undefined } as unknown as RedisConnections;
    const batcher = new RedisWriteBatcher(connections, { logFlushMs: 10 } as SwitchyardConfig);
    await client.set(`${key}:string`, 'not a stream');
    let refused = 0;
    batcher.register({
      drainInto: (redis) => [
        redis.xadd(`${key}:stream`, '*', 'n', '1'),
        redis.xadd(`${key}:string`, '*', 'n', '2'),
        redis.xadd(`${key}:stream`, '*', 'n', '3'),
      ],
      failed: (count) => (refused += count),
    });
    batcher.register({ drainInto: () => [] });
    await batcher.flush();
    expect(refused).toBe(1);
    expect(batcher.writeErrors).toBe(1);
    expect((await client.xrange(`${key}:stream`, '-', '+')).map(([, fields]) => fields[1])).toEqual(['1', '3']);
  });

  it('transaction runs its commands as one MULTI … EXEC sent in one write, and answers their replies in order', async () => {
    const written = jest.spyOn(client.stream, '_writev' as never);
    try {
      const replies = transaction(client, (redis) => [redis.set(`${key}:tx`, '1'), redis.incr(`${key}:tx`), redis.hset(`${key}:tx-hash`, 'f', 'v')]);
      // Another caller's command sent meanwhile is not part of it.
      const outside = client.get(`${key}:tx`);
      expect(repliesOrThrow(await replies)).toEqual(['OK', 2, 1]);
      expect(await outside).toBe('2');
      expect(written).toHaveBeenCalledTimes(1);
    } finally {
      written.mockRestore();
    }
  });

  it('transaction rejects with the error of a command Redis refused, and writes nothing; an error while running is in the replies', async () => {
    await client.set(`${key}:tx`, '10');
    await expect(transaction(client, (tx) => [tx.incr(`${key}:tx`), tx.call('NOSUCHCOMMAND')])).rejects.toThrow(/unknown command/);
    expect(await client.get(`${key}:tx`)).toBe('10');
    const replies = await transaction(client, (redis) => [redis.hset(`${key}:tx`, 'f', 'v'), redis.incr(`${key}:tx`)]);
    expect(replies[0][0]?.message).toMatch(/WRONGTYPE/);
    expect(replies[1]).toEqual([null, 11]);
    expect(() => repliesOrThrow(replies)).toThrow(/WRONGTYPE/);
  });

  it('transaction whose send throws discards what it queued and leaves the connection out of the MULTI', async () => {
    await client.set(`${key}:tx`, '20');
    const failing = transaction(client, (redis) => {
      void redis.incr(`${key}:tx`).catch(() => undefined);
      throw new Error('no such script on this connection yet');
    });
    await expect(failing).rejects.toThrow('no such script on this connection yet');
    // The next command on the connection is answered, not queued into a transaction left open.
    expect(await client.get(`${key}:tx`)).toBe('20');
    expect(repliesOrThrow(await transaction(client, (redis) => [redis.incr(`${key}:tx`)]))).toEqual([21]);
  });
});
