import { Redis, ReplyError } from 'ioredis';
import { RedisUnavailableError } from '@switchyard/orchestration/errors/errors';
import { BoundedWaitRedis, transaction } from '@switchyard/orchestration/adapters/ioredis';
import { RedisScript } from '@switchyard/orchestration/redis/redis-script';
import { OwnRedis } from './support/redis-server';
import { until } from './support/until';
import incr from './fixtures/incr.lua';

const WAIT_MS = 300;
const COUNT = RedisScript.fromLua(incr);

/** How a promise settles, and after how long. */
async function outcome(work: Promise<unknown>): Promise<{ ms: number; value?: unknown; error?: unknown }> {
  const started = performance.now();
  try {
    return { ms: performance.now() - started, value: await work };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

/**
 * The contract of BoundedWaitRedis with the ioredis it is built for (see its TSDoc), against a
 * private redis-server: every kind of command fails typed and bounded while Redis does not
 * answer, nothing is sent later, Redis' own errors pass unchanged, and it recovers by itself.
 */
describe('BoundedWaitRedis', () => {
  let server: OwnRedis;
  let client: BoundedWaitRedis;
  let admin: Redis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    client = new BoundedWaitRedis(server.url, { connectionName: 'contract' }, WAIT_MS);
    client.on('error', () => undefined);
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
    await until('the client to connect', async () => (client.status === 'ready' ? true : undefined), 10_000);
  });

  afterAll(async () => {
    client?.disconnect();
    admin?.disconnect();
    await server?.destroy();
  });

  it("passes Redis' own errors through unchanged", async () => {
    await client.set('text', 'x');
    const { error } = await outcome(client.incr('text'));
    expect(error).toBeInstanceOf(ReplyError);
  });

  it('fails a command Redis does not answer within the wait, typed', async () => {
    await admin.client('PAUSE', 1500, 'ALL');
    const { ms, error } = await outcome(client.get('text'));
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(ms).toBeGreaterThanOrEqual(WAIT_MS - 20);
    expect(ms).toBeLessThan(1500);
  });

  it('fails plain commands, scripts and transactions at once while Redis is down, sends none of them later, and serves again once Redis is back', async () => {
    await until('the pause to end', async () => ((await outcome(client.ping())).value === 'PONG' ? true : undefined), 10_000);
    await admin.save();
    await server.down();
    for (const work of [client.set('late', '1'), COUNT.run(client, ['late-count'], []), transaction(client, (c) => [c.set('late-multi', '1')])]) {
      const { ms, error } = await outcome(work);
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(ms).toBeLessThan(WAIT_MS);
    }
    await server.up();
    await until('the client to serve again', async () => ((await outcome(client.ping())).value === 'PONG' ? true : undefined), 10_000);
    expect(await client.get('text')).toBe('x');
    expect(await admin.exists('late', 'late-count', 'late-multi')).toBe(0);
  });
});
