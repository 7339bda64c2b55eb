import { OwnRedis } from './support/redis-server';
import { Stack } from './support/stack';

describe('health probes', () => {
  let redis: OwnRedis;
  let stack: Stack;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    stack = await Stack.start({ workers: 0, redisUrl: redis.url, env: { SWITCHYARD_SHUTDOWN_TIMEOUT_MS: '2000' } });
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.destroy();
  });

  const get = (path: string) => stack.request('GET', `/api/orchestrator/health${path}`);

  it('reports no live worker as unhealthy (503, naming what to do), then healthy once one starts', async () => {
    const none = await get('');
    expect(none.status).toBe(503);
    expect(none.contentType).toContain('application/problem+json');
    expect(none.body.detail).toContain('no worker consumes any queue');
    expect(none.body.checks.redis.status).toBe('up');
    expect((await get('/ready')).status).toBe(200);
    // Without a key: which check is down, nothing more.
    const anyone = await stack.request('GET', '/api/orchestrator/health', undefined, undefined, { authorization: '' });
    expect(anyone.status).toBe(503);
    expect(anyone.body).toMatchObject({ detail: 'workers: down', checks: { redis: { status: 'up' }, workers: { status: 'down' } } });
    expect(JSON.stringify(anyone.body)).not.toMatch(/queues|latencyMs|no worker/);

    await stack.addWorker();
    const healthy = await get('');
    expect(healthy.status).toBe(200);
    const queues = healthy.body.info.workers.queues;
    expect(queues.find((q: any) => q.queue === 'web_research')).toMatchObject({ workers: 1, waiting: 0 });
    expect(queues.find((q: any) => q.queue === 'sy.session').workers).toBe(1);
  });

  it('turns 503 when Redis stops, stays alive, and recovers when Redis is back', async () => {
    await redis.down();
    const down = await get('');
    expect(down.status).toBe(503);
    expect(down.body.detail).toContain('redis: Redis did not answer');
    expect((await get('/ready')).status).toBe(503);
    expect((await get('/live')).status).toBe(200);

    await redis.up();
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      if ((await get('/ready')).status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await get('/ready')).status).toBe(200);
  });
});
