import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { OwnRedis } from './support/redis-server';
import { REDIS_URL, Stack } from './support/stack';
import { until } from './support/until';

const ORCHESTRATE = '/api/orchestrator/orchestrate';
const RETENTION_S = 600;
const FINAL = ['completed', 'failed', 'cancelled'];

/**
 * Every other request a goal (a planning job first), the others a small plan with a dependency and
 * a child, so that planners, waiters, parents and the root job all take part.
 */
const request = (i: number) => (i % 2 === 0 ? { goal: `Write a short report on tides ${i}` } : plan(i));
const plan = (i: number) => ({
  plan: {
    tasks: [
      { id: 'research', capabilities: ['web_research'], input: { topic: `tides ${i}` } },
      { id: 'report', capabilities: ['document_creation'], dependsOn: ['research'], children: [{ id: 'outline', capabilities: ['workflow_design'] }] },
    ],
  },
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
        SWITCHYARD_RATE_LIMIT: '0',
        SWITCHYARD_OFFLINE_LATENCY_MS: '20',
        SWITCHYARD_RETENTION_S: String(RETENTION_S),
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
          const answer = await stack.request('POST', ORCHESTRATE, request(i));
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

/**
 * A task's job that failed for good while its task still shows `ready` (its failure never
 * recorded: what Redis refusing the record leaves behind, made here by a BullMQ worker of the
 * test's own that fails the job without touching the session). The session's root job finds it
 * at its next check and applies the task's failure policy.
 */
describe('a task whose job failed without its task recording it', () => {
  let stack: Stack;
  let connection: Redis;

  beforeAll(async () => {
    // No worker of Switchyard's yet: the test's own takes the task first. The root job's first check after 2 s.
    stack = await Stack.start({
      workers: 0,
      env: { SWITCHYARD_LOCK_DURATION_MS: '1000', SWITCHYARD_OFFLINE_LATENCY_MS: '20', SWITCHYARD_RETENTION_S: String(RETENTION_S) },
    });
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  });

  afterAll(async () => {
    connection?.disconnect();
    await stack?.stop();
  });

  /** Starts `plan` and has a BullMQ worker of the test's own fail the job of its `web_research` task unrecorded. */
  async function failedUnrecorded(plan: unknown): Promise<string> {
    const failing = new Worker(
      'web_research',
      async () => {
        throw new UnrecoverableError("OOM command not allowed when used memory > 'maxmemory'.");
      },
      { connection, prefix: `{${stack.prefix}-0}` },
    );
    try {
      const accepted = await stack.request('POST', ORCHESTRATE, { plan });
      expect(accepted.status).toBe(202);
      const sessionId = accepted.body.sessionId;
      const job = `{${stack.prefix}-0}:web_research:${sessionId}.t.flaky`;
      await until('the job to fail', async () => ((await connection.hget(job, 'finishedOn')) ? true : undefined), 10_000);
      const session = (await stack.request('GET', `/api/orchestrator/sessions/${sessionId}`)).body;
      expect(session.tasks.find((t: { id: string }) => t.id === 'flaky')).toMatchObject({ status: 'ready', attempts: 0 });
      return sessionId;
    } finally {
      await failing.close();
    }
  }

  async function expectAllExpiring(sessionId: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 500));
    const named = (await stack.keys()).filter((k) => k.includes(sessionId));
    const ttls = await Promise.all(named.map(async (k) => [k, await stack.redis.ttl(k)] as const));
    expect(named.length).toBeGreaterThan(0);
    expect(ttls.filter(([, ttl]) => ttl <= 0 || ttl > RETENTION_S)).toEqual([]);
  }

  it('fails its session under `fail`, and continues without it under `continue`', async () => {
    const failSession = await failedUnrecorded({
      tasks: [
        { id: 'flaky', capabilities: ['web_research'] },
        { id: 'after', capabilities: ['document_creation'], dependsOn: ['flaky'] },
      ],
    });
    const continueSession = await failedUnrecorded({
      tasks: [
        { id: 'flaky', capabilities: ['web_research'], onFailure: 'continue' },
        { id: 'after', capabilities: ['document_creation'], dependsOn: ['flaky'] },
      ],
    });
    await stack.addWorker();

    const failed = await stack.waitForSession(failSession, undefined, 30_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ name: 'TaskJobFailedError', taskId: 'flaky' });
    expect(Object.fromEntries(failed.tasks.map((t: { id: string; status: string }) => [t.id, t.status]))).toEqual({ flaky: 'failed', after: 'cancelled' });

    const continued = await stack.waitForSession(continueSession, undefined, 30_000);
    expect(continued.status).toBe('completed');
    expect(Object.fromEntries(continued.tasks.map((t: { id: string; status: string }) => [t.id, t.status]))).toEqual({ flaky: 'failed', after: 'completed' });

    await expectAllExpiring(failSession);
    await expectAllExpiring(continueSession);
  }, 90_000);
});
