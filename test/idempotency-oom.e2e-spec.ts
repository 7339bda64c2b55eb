import { Redis } from 'ioredis';
import { OwnRedis } from './support/redis-server';
import { Stack } from './support/stack';
import { SwitchyardConfig } from '@switchyard/orchestration/config/switchyard-config';
import { RedisConnections } from '@switchyard/orchestration/redis/redis-connections.service';
import { ShardRouter } from '@switchyard/orchestration/redis/shards';
import { CLAIM_TTL_SECONDS, IdempotencyStore } from '@switchyard/orchestration/sessions/idempotency.store';

const ORCHESTRATE = '/api/orchestrator/orchestrate';
const goal = (i: number) => ({ goal: `report ${i}: ${'on tides '.repeat(200).trim()}` });

/**
 * Idempotency-Keys of starts that Redis refused (out of memory), on a private redis-server whose
 * memory limit is the test's: a retry with the same key must start the session, not be told for
 * a day that the first request is still being processed.
 */
describe('Idempotency-Keys of starts that Redis refused', () => {
  let server: OwnRedis;
  let stack: Stack;
  let probe: Redis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    stack = await Stack.start({ workers: 0, redisUrl: server.url, env: { SWITCHYARD_RATE_LIMIT: '0' } });
    probe = new Redis(server.url);
  });

  afterAll(async () => {
    await probe?.quit();
    await stack?.stop();
    await server?.destroy();
  });

  const orchestrate = (i: number, key: string) => stack.request('POST', ORCHESTRATE, goal(i), undefined, { 'idempotency-key': key });
  const sessionCount = async () => (await stack.keys()).filter((key) => /:_sy:session:[^:]+$/.test(key)).length;

  it('lets every key of a burst Redis ran out of memory under start its session once Redis takes writes again, and only one', async () => {
    const used = Number(/used_memory:(\d+)/.exec(await probe.info('memory'))![1]);
    // Room for some of the burst: the rest is refused part-way, after claiming its key.
    await probe.config('SET', 'maxmemory', String(used + 2_000_000));
    const first: number[] = [];
    try {
      await Promise.all(Array.from({ length: 300 }, async (_, i) => (first[i] = (await orchestrate(i, `burst-${i}`)).status)));
    } finally {
      await probe.config('SET', 'maxmemory', '0');
    }
    expect(first.filter((status) => status === 503).length).toBeGreaterThan(0);
    expect(first.every((status) => status === 202 || status === 503)).toBe(true);

    const retried: { status: number; replayed?: boolean }[] = [];
    for (let i = 0; i < 300; i++) {
      const answer = await orchestrate(i, `burst-${i}`);
      retried.push({ status: answer.status, replayed: answer.body?.replayed });
    }
    // Accepted first: the retry answers with that session. Refused first: the retry starts it.
    expect(retried).toEqual(first.map((status) => (status === 202 ? { status: 202, replayed: true } : { status: 202 })));
    expect(await sessionCount()).toBe(300);
  });

  it('keeps a claim whose start never finished for a minute at most, and a confirmed key for its lifetime', async () => {
    // What a start that ends between its claim and its session leaves behind (the API killed, or
    // Redis refusing the start and its clean-up alike): a claim still `creating`.
    const before = new Set(await stack.keys());
    const store = new IdempotencyStore({ client: probe } as RedisConnections, new ShardRouter(stack.prefix, 1), {
      idempotencyTtlSeconds: 86_400,
    } as SwitchyardConfig);
    expect(await store.claim('acme', 'left-behind', goal(1000), new ShardRouter(stack.prefix, 1).newSessionId())).toMatchObject({ claimed: true });
    const claim = (await stack.keys()).find((key) => !before.has(key))!;
    expect(claim).toContain(':idempotency:');
    // It is the key the API looks up: a retry meanwhile is told to wait, and for a minute at most.
    expect(await orchestrate(1000, 'left-behind')).toMatchObject({ status: 409, body: { type: expect.stringContaining('idempotency-key-in-use') } });
    expect(await probe.ttl(claim)).toBeGreaterThan(0);
    expect(await probe.ttl(claim)).toBeLessThanOrEqual(CLAIM_TTL_SECONDS);

    await probe.del(claim);
    expect((await orchestrate(1000, 'left-behind')).status).toBe(202);
    // Confirmed with its session: kept for SWITCHYARD_IDEMPOTENCY_TTL_S (a day by default).
    expect(await probe.ttl(claim)).toBeGreaterThan(86_000);
  });
});
