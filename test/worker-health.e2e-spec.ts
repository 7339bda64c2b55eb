import { authHeader } from './support/api-keys';
import { AppProcess } from './support/app-process';
import { OwnRedis } from './support/redis-server';
import { Stack } from './support/stack';
import { until } from './support/until';

const API = '/api/orchestrator';

interface Probe {
  status: number;
  body: { status: string; failed?: string[]; checks?: Record<string, { status: string; message?: string; at?: string; shards?: unknown[] }> };
}

/** One GET of a worker's probe, bounded; a refused connection is status 0. */
async function probe(port: number, path: '/health/live' | '/health/ready'): Promise<Probe> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: (await response.json()) as Probe['body'] };
  } catch {
    return { status: 0, body: { status: 'unreachable' } };
  }
}

/** Polls the readiness probe until its status is `status`; answers the answer and how long it took. */
async function readyTurns(port: number, status: 200 | 503, timeoutMs: number): Promise<Probe & { ms: number }> {
  const started = Date.now();
  const answer = await until(
    `/health/ready to answer ${status}`,
    async () => {
      const got = await probe(port, '/health/ready');
      return got.status === status ? got : undefined;
    },
    timeoutMs,
  );
  return { ...answer, ms: Date.now() - started };
}

/**
 * A worker's probes (SWITCHYARD_WORKER_HEALTH_PORT), with the API and the worker as real
 * processes on a redis-server of the test's own, which the test stops and starts again.
 */
describe("a worker's health probes", () => {
  let server: OwnRedis;
  let stack: Stack;
  let worker: AppProcess;
  let port: number;

  beforeAll(async () => {
    server = await OwnRedis.start();
    // Two shards: the canary goes through the worker's own queue in each.
    stack = await Stack.start({ workers: 1, redisUrl: server.url, env: { SWITCHYARD_SHARDS: '2', SWITCHYARD_OFFLINE_LATENCY_MS: '3000' } });
    worker = stack.workers[0];
    port = await worker.healthPort();
  });

  afterAll(async () => {
    await server?.up().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
    await server?.destroy();
  });

  it('is live, and ready once Redis, its agents, its queues and a canary through each shard check out', async () => {
    expect(await probe(port, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await readyTurns(port, 200, 15_000);
    expect(ready.body).toMatchObject({ status: 'ready', failed: [] });
    expect(Object.values(ready.body.checks!).map((c) => c.status)).toEqual(['up', 'up', 'up', 'up', 'up']);
    expect(ready.body.checks!.canary.shards).toEqual([
      expect.objectContaining({ shard: `{${stack.prefix}-0}`, ok: true }),
      expect.objectContaining({ shard: `{${stack.prefix}-1}`, ok: true }),
    ]);
    expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
  });

  it('does not start a second worker on a port that is taken, and names the variable', async () => {
    const second = new AppProcess('worker', { REDIS_URL: server.url, SWITCHYARD_PREFIX: stack.prefix, SWITCHYARD_WORKER_HEALTH_PORT: String(port) });
    expect(await second.waitForExit(30_000)).toBe(1);
    expect(second.lines.join('\n')).toContain(`switchyard worker: cannot start: SWITCHYARD_WORKER_HEALTH_PORT: port ${port} is in use`);
  }, 40_000);

  it('sends canaries that no session, task count, queue figure or metric shows as work', async () => {
    // Several rounds have gone by (one every 2 s) since the worker turned ready.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const stats = (await stack.request('GET', `${API}/stats`)).body;
    expect(stats.tasks).toMatchObject({ started: 0, completed: 0, failed: 0 });
    expect(stats.queues.map((q: { queue: string }) => q.queue).filter((q: string) => q.includes('canary'))).toEqual([]);
    expect((await stack.request('GET', `${API}/sessions`)).body.sessions).toEqual([]);
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`, { headers: authHeader('admin') })).text();
    expect(metrics).not.toContain('canary');
    expect(metrics).toMatch(/^switchyard_queue_backlog\{capability="data_analysis",shard="1"\} 0$/m);
    // Its jobs are gone once they came back: only the queue's own bookkeeping keys stay.
    const canaryKeys = await stack.redis.keys(`{${stack.prefix}-*}:sy.canary.*`);
    expect(canaryKeys.length).toBeGreaterThan(0);
    expect(canaryKeys.filter((key) => !/:(id|meta|events|stalled-check|marker)$/.test(key))).toEqual([]);
    // A worker killed without its shutdown leaves them to expire.
    for (const key of canaryKeys) {
      const ttl = await stack.redis.ttl(key);
      expect({ key, expires: ttl > 0 && ttl <= 60 }).toEqual({ key, expires: true });
    }
  });

  it('turns not ready within a few seconds of Redis going away, stays live, and ready again once Redis is back', async () => {
    await server.down();
    const down = await readyTurns(port, 503, 5000);
    expect(down.ms).toBeLessThan(5000);
    expect(down.body.status).toBe('not_ready');
    expect(down.body.failed).toContain('redis');
    expect(down.body.checks!.redis.message).toMatch(/Redis connection is/);
    expect((await probe(port, '/health/live')).status).toBe(200);

    await server.up();
    const reconnected = Date.now();
    // BullMQ's workers wait up to 15 s (runRetryDelay) before they fetch again after a connection error.
    const back = await readyTurns(port, 200, 40_000);
    expect(back.body.failed).toEqual([]);
    // Ready again because a canary came back over the new connection, not because of an old round.
    expect(Date.parse(back.body.checks!.canary.at as string)).toBeGreaterThan(reconnected);
  }, 60_000);

  it('is not ready while draining: SIGTERM with a task running, live until it exits', async () => {
    await readyTurns(port, 200, 40_000);
    const plan = { tasks: [{ id: 'slow', capabilities: ['web_research'] }] }; // a model-backed agent: 3 s offline
    const sessionId = (await stack.request('POST', `${API}/orchestrate`, { plan })).body.sessionId;
    await stack.waitForSession(sessionId, (s) => s.tasks?.some((t: { status: string }) => t.status === 'running'), 15_000);
    const exit = worker.stop('SIGTERM', 30_000);
    const draining = await readyTurns(port, 503, 2000);
    expect(draining.body.failed).toEqual(['draining']);
    expect(draining.body.checks!.draining.message).toMatch(/draining/);
    expect((await probe(port, '/health/live')).status).toBe(200);
    expect(await exit).toBe(0);
    expect(worker.lines.find((line) => line.includes('"msg":"worker stopping: finishing running tasks"'))).toContain('"running":1');
    // The running task finished before the worker left.
    const session = await stack.waitForSession(sessionId, (s) => s.tasks.every((t: { status: string }) => t.status === 'completed'), 5000);
    expect(session.tasks.map((t: { status: string }) => t.status)).toEqual(['completed']);
    // The canary queues went with the worker.
    expect(await stack.redis.keys(`{${stack.prefix}-*}:sy.canary.*`)).toEqual([]);
  }, 60_000);
});
