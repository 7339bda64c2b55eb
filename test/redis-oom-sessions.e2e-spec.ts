import { Redis } from 'ioredis';
import { OwnRedis } from './support/redis-server';
import { Stack } from './support/stack';

const ORCHESTRATE = '/api/orchestrator/orchestrate';
const RETENTION_S = 600;
const FINAL = ['completed', 'failed', 'cancelled'];

/** A small plan with a dependency and a child, so that waiters, parents and the root job all take part. */
const plan = (i: number) => ({
  plan: { tasks: [
    { id: 'research', capabilities: ['web_research'], input: { topic: `tides ${i}` } },
    { id: 'report', capabilities: ['document_creation'], dependsOn: ['research'], children: [{ id: 'outline', capabilities: ['workflow_design'] }] },
  ] },
});

/**
 * Sessions accepted while Redis was out of memory, on a private redis-server whose memory limit is
 * the test's: their tasks' jobs meet Redis's refusals (OOM) at every step, which are Redis's fault,
 * not the tasks'. Once Redis takes writes again, every one of them finishes, and keeps its keys for
 * the retention only.
 */
describe('sessions accepted while Redis was out of memory', () => {
  let server: OwnRedis;
  let stack: Stack;
  let probe: Redis;

  beforeAll(async () => {
    server = await OwnRedis.start();
    stack = await Stack.start({
      workers: 1,
      redisUrl: server.url,
      env: {
        SWITCHYARD_RATE_LIMIT: '0', SWITCHYARD_OFFLINE_LATENCY_MS: '20', SWITCHYARD_RETENTION_S: String(RETENTION_S),
        // The root job's first check after 4 s, then at 8, 16 and every 32 s.
        SWITCHYARD_LOCK_DURATION_MS: '2000',
      },
    });
    probe = new Redis(server.url);
  });

  afterAll(async () => {
    await probe?.quit();
    await stack?.stop();
    await server?.destroy();
  });

  it('finish, completed or failed by their policy, once Redis takes writes again, and their keys get the retention as time to live', async () => {
    const used = Number(/used_memory:(\d+)/.exec(await probe.info('memory'))![1]);
    // Room for some of the burst: the rest is refused, and the accepted ones' tasks meet the limit.
    await probe.config('SET', 'maxmemory', String(used + 2_000_000));
    const statuses: number[] = [];
    const accepted: string[] = [];
    try {
      await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const answer = await stack.request('POST', ORCHESTRATE, plan(i));
          statuses[i] = answer.status;
          if (answer.status === 202) accepted.push(answer.body.sessionId);
        }),
      );
      // Then Redis takes no write at all, long enough for a job to spend every attempt of its own
      // (3, backed off 1 s and 2 s) on OOM.
      await probe.config('SET', 'maxmemory', '1');
      await new Promise((r) => setTimeout(r, 8000));
    } finally {
      await probe.config('SET', 'maxmemory', '0');
    }
    expect(statuses.every((status) => status === 202 || status === 503)).toBe(true);
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);

    const deadline = Date.now() + 120_000;
    const unfinished = new Set(accepted);
    const ended = new Map<string, string>();
    let last: unknown;
    while (unfinished.size > 0 && Date.now() < deadline) {
      for (const sessionId of [...unfinished]) {
        const session = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body;
        last = session;
        if (FINAL.includes(session?.status)) {
          unfinished.delete(sessionId);
          ended.set(sessionId, session.status);
        }
      }
      if (unfinished.size > 0) await new Promise((r) => setTimeout(r, 500));
    }
    if (unfinished.size > 0) {
      throw new Error(`${unfinished.size} of ${accepted.length} accepted sessions never finished; one of them: ${JSON.stringify(last).slice(0, 3000)}`);
    }
    // Not cancelled: nobody cancelled them.
    expect([...ended.values()].filter((status) => status === 'cancelled')).toEqual([]);

    // The root job finishes just after its session: give the last ones a moment.
    await new Promise((r) => setTimeout(r, 1000));
    const keys = await stack.keys();
    const lasting: string[] = [];
    for (const sessionId of accepted) {
      const named = keys.filter((k) => k.includes(sessionId));
      expect(named.length).toBeGreaterThan(0);
      for (const key of named) {
        const ttl = await probe.ttl(key);
        if (ttl <= 0 || ttl > RETENTION_S) lasting.push(`${key} (${ttl})`);
      }
    }
    expect(lasting).toEqual([]);
  }, 240_000);
});
