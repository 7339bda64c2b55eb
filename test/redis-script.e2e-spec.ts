import { Redis } from 'ioredis';
import { RedisScript } from '@switchyard/orchestration/redis/redis-script';
import { commandCalls, OwnRedis } from './support/redis-server';
import incr from './fixtures/incr.lua';
import echoArgs from './fixtures/echo-args.lua';

/**
 * RedisScript.send: a script sent in order with the connection's next commands and never again.
 * A private redis-server, so that its SCRIPT FLUSH and its command counts are the test's own.
 */
describe('RedisScript.send', () => {
  let redis: OwnRedis;
  let client: Redis;
  let probe: Redis;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    client = new Redis(redis.url);
    probe = new Redis(redis.url);
  });

  afterAll(async () => {
    await client?.quit();
    await probe?.quit();
    await redis?.destroy();
  });

  const calls = async (command: string) => (await commandCalls(probe))[command] ?? 0;

  it('carries the script the first time on a connection, then its SHA, and again after Redis lost it', async () => {
    const script = RedisScript.fromLua(incr);
    // Never loaded on this Redis: the first call works all the same (an EVAL, in order).
    const first = script.send(client, ['n'], []);
    const behind = client.get('n');
    expect(await first).toBe(1);
    expect(await behind).toBe('1');
    expect(await calls('eval')).toBe(1);
    expect(await script.send(client, ['n'], [])).toBe(2);
    expect(await calls('evalsha')).toBe(1);

    await probe.script('FLUSH');
    // Sent by SHA, and not again: the caller hears of it (and sends it again if it must).
    await expect(script.send(client, ['n'], [])).rejects.toThrow(/NOSCRIPT/);
    expect(await script.send(client, ['n'], [])).toBe(3);
    expect(await calls('eval')).toBe(2);
  });

  it('run: numbers go as strings, replies come as the ordinary command gives them, and a lost script is sent again', async () => {
    const script = RedisScript.fromLua(echoArgs);
    expect(await script.run(client, ['k'], [41, 'x'])).toEqual(['k', '41', 'x', 42]);
    await probe.script('FLUSH');
    expect(await script.run(client, ['k'], [1, ''])).toEqual(['k', '1', '', 2]);
    await expect(client.call('evalsha', '0'.repeat(40), 0)).rejects.toThrow(/NOSCRIPT/);
    expect(await client.call('hset', 'h', 'a', 1, 'b', 'two')).toBe(2);
    expect(await client.hgetall('h')).toEqual({ a: '1', b: 'two' });
  });
});
