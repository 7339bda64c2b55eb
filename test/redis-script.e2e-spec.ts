import { Redis } from 'ioredis';
import { RedisScript } from '@switchyard/orchestration/redis/redis-script';
import { commandCalls, OwnRedis } from './support/redis-server';
import incr from './fixtures/incr.lua';
import echoArgs from './fixtures/echo-args.lua';

/**
 * RedisScript.run: a script run by its SHA, with its source when Redis lacks it. A private
 * redis-server, so that its SCRIPT FLUSH and its command counts are the test's own.
 */
describe('RedisScript.run', () => {
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

  it('sends the script by its SHA, and its source only when Redis lacks it (first use, after a flush)', async () => {
    const script = RedisScript.fromLua(incr);
    expect(await script.run(client, ['n'], [])).toBe(1);
    expect([await calls('evalsha'), await calls('eval')]).toEqual([1, 1]);
    expect(await script.run(client, ['n'], [])).toBe(2);
    expect([await calls('evalsha'), await calls('eval')]).toEqual([2, 1]);
    await probe.script('FLUSH');
    expect(await script.run(client, ['n'], [])).toBe(3);
    expect([await calls('evalsha'), await calls('eval')]).toEqual([3, 2]);
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
