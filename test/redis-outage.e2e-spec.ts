import { Redis } from 'ioredis';
import { OwnRedis } from './support/redis-server';
import { HttpAnswer, Stack } from './support/stack';
import { until } from './support/until';

const API = '/api/orchestrator';
/** SWITCHYARD_REDIS_WAIT_MS's default, which the API runs with here. */
const REDIS_WAIT_MS = 2000;
const approvalPlan = { plan: { tasks: [{ id: 'gate', kind: 'approval', capabilities: ['data_analysis'] }] } };

/**
 * The API while its Redis (a private redis-server) is stopped, back, or out of memory: it answers
 * at once what needs no Redis, fails fast with a 503 what does, recovers by itself, and reads
 * never need a Redis write (the rate limiter's count among them).
 */
describe('the API while Redis is down or full', () => {
  let server: OwnRedis;
  let stack: Stack;
  let probe: Redis;
  let sessionId: string;

  beforeAll(async () => {
    server = await OwnRedis.start();
    // The rate limits stay on (their defaults): every request is counted in Redis.
    stack = await Stack.start({ workers: 0, redisUrl: server.url });
    probe = new Redis(server.url, { maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    const started = await stack.request('POST', `${API}/orchestrate`, approvalPlan);
    if (started.status !== 202) throw new Error(`orchestrate answered ${started.status}: ${JSON.stringify(started.body)}`);
    sessionId = started.body.sessionId;
  });

  afterAll(async () => {
    await server?.up().catch(() => undefined);
    await probe?.config('SET', 'maxmemory', '0').catch(() => undefined);
    probe?.disconnect();
    await stack?.stop().catch(() => undefined);
    await server?.destroy();
  });

  const timed = async (method: string, path: string): Promise<HttpAnswer & { ms: number }> => {
    const started = performance.now();
    const answer = await stack.request(method, path);
    return { ...answer, ms: performance.now() - started };
  };

  it('answers a route that needs no Redis at once, and one that does with a 503 and Retry-After within SWITCHYARD_REDIS_WAIT_MS, while Redis is stopped', async () => {
    // Kept on disk, so that the restarted server has the session again.
    await probe.save();
    await server.down();

    const templates = await timed('GET', `${API}/templates`);
    expect(templates.status).toBe(200);
    expect(templates.ms).toBeLessThan(REDIS_WAIT_MS);

    for (const path of [`${API}/sessions/${sessionId}`, `${API}/sessions/${sessionId}/logs`]) {
      const answer = await timed('GET', path);
      expect({ path, status: answer.status, contentType: answer.contentType, type: answer.body?.type }).toEqual({
        path,
        status: 503,
        contentType: expect.stringContaining('application/problem+json'),
        type: expect.stringContaining('redis-unavailable'),
      });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      // A bound, not a benchmark.
      expect(answer.ms).toBeLessThan(2 * REDIS_WAIT_MS);
    }

    const start = await timed('POST', `${API}/orchestrate`);
    expect(start.status).toBeGreaterThanOrEqual(400);
    expect(start.ms).toBeLessThan(2 * REDIS_WAIT_MS);
  });

  it('answers the same requests again once Redis is back, without a restart', async () => {
    await probe.save().catch(() => undefined);
    await server.down();
    expect((await stack.request('GET', `${API}/sessions/${sessionId}`)).status).toBe(503);

    await server.up();
    const session = await until(
      'the session to be readable again',
      async () => {
        const answer = await stack.request('GET', `${API}/sessions/${sessionId}`);
        return answer.status === 200 ? answer : undefined;
      },
      30_000,
    );
    expect(session.body).toMatchObject({ sessionId });
    expect((await stack.request('GET', `${API}/sessions/${sessionId}/logs`)).status).toBe(200);
    expect((await stack.request('GET', `${API}/templates`)).status).toBe(200);
    expect((await stack.request('POST', `${API}/orchestrate`, approvalPlan)).status).toBe(202);
  });

  it("answers reads while Redis is out of memory: none needs a write, the rate limiter's count included", async () => {
    await probe.config('SET', 'maxmemory', '1');
    try {
      const answers = [];
      for (const path of [`${API}/templates`, `${API}/sessions/${sessionId}`, `${API}/sessions/${sessionId}/logs`]) {
        const answer = await timed('GET', path);
        answers.push({ path, status: answer.status, detail: answer.body?.detail });
      }
      expect(answers).toEqual(answers.map(({ path }) => ({ path, status: 200, detail: undefined })));
      // A write cannot be done: Redis' own refusal, as a 503.
      const start = await stack.request('POST', `${API}/orchestrate`, approvalPlan);
      expect(start.status).toBe(503);
      expect(Number(start.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await probe.config('SET', 'maxmemory', '0');
    }
  });
});
