import { OwnRedis } from './support/redis-server';
import { authHeader } from './support/api-keys';
import { Stack } from './support/stack';
import { until } from './support/until';

const API = '/api/orchestrator';
const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);
const research = (id: string, extra: Record<string, unknown> = {}) => ({ id, capabilities: ['web_research'], ...extra });
const ms = (iso: string) => Date.parse(iso);

/**
 * Tasks of kind `wait` and `signal`: they wait in the delayed set of the wait queue, holding no
 * worker slot, through restarts of every process and of Redis (AOF); a signal is delivered once.
 */
describe('durable waits and signals', () => {
  let stack: Stack;

  beforeAll(async () => {
    // One worker whose every agent takes one task at a time, each model call 150 ms.
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_AGENT_CONCURRENCY: '1', SWITCHYARD_OFFLINE_LATENCY_MS: '150' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const start = async (tasks: unknown[], as: Record<string, string> = {}) => {
    const answer = await stack.request('POST', `${API}/orchestrate`, { plan: { tasks } }, undefined, as);
    if (answer.status !== 202) throw new Error(`orchestrate answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body.sessionId as string;
  };
  const signal = (sessionId: string, name: string, payload?: unknown, as: Record<string, string> = {}) =>
    stack.request('POST', `${API}/sessions/${sessionId}/signals/${name}`, payload === undefined ? {} : { payload }, undefined, as);
  const waitingFor = (sessionId: string, id: string) => stack.waitForSession(sessionId, (s) => typeof task(s, id)?.waitingFor === 'object');

  it('a worker at concurrency 1 runs other tasks while three timers wait', async () => {
    const timers = ['t1', 't2', 't3'].map((id) => ({ id, kind: 'wait', durationMs: 3000 }));
    const others = ['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => research(id));
    const sessionId = await start([...timers, ...others, research('after', { dependsOn: ['t1', 't2', 't3'] })]);

    const waiting = await waitingFor(sessionId, 't3');
    expect(task(waiting, 't1')).toMatchObject({ kind: 'wait', status: 'waiting', capabilities: [], waitingFor: { until: expect.any(String) } });

    const done = await stack.waitForSession(sessionId);
    expect(done.status).toBe('completed');
    const runs = others.map((o) => task(done, o.id)).sort((a, b) => ms(a.startedAt) - ms(b.startedAt));
    // Concurrency 1: the other tasks ran one after the other, and all of them while the timers waited.
    for (let i = 1; i < runs.length; i++) expect(ms(runs[i].startedAt)).toBeGreaterThanOrEqual(ms(runs[i - 1].finishedAt));
    for (const id of ['t1', 't2', 't3']) {
      const timer = task(done, id);
      expect(timer).toMatchObject({ status: 'completed', output: { waitedMs: expect.any(Number) } });
      expect(timer.output.waitedMs).toBeGreaterThanOrEqual(3000);
      expect(ms(timer.startedAt)).toBeLessThan(ms(runs[runs.length - 1].startedAt));
      expect(ms(timer.finishedAt)).toBeGreaterThan(ms(runs[runs.length - 1].finishedAt));
      expect(timer.waitingFor).toBeUndefined();
    }
    // The three waited side by side, not one after the other.
    expect(ms(task(done, 'after').startedAt) - ms(done.startedAt)).toBeLessThan(6000);
  });

  it('a signal completes its task with the payload, and its dependants get it', async () => {
    const sessionId = await start([{ id: 'gate', kind: 'signal', signal: 'approved' }, research('after', { dependsOn: ['gate'] })]);
    const waiting = await waitingFor(sessionId, 'gate');
    expect(task(waiting, 'gate')).toMatchObject({ kind: 'signal', status: 'waiting', waitingFor: { signal: 'approved' } });
    expect(task(waiting, 'gate').waitingFor.timeoutAt).toBeUndefined();

    const answer = await signal(sessionId, 'approved', { by: 'ops', ticket: 42 }, authHeader('operator'));
    expect(answer).toMatchObject({ status: 200, body: { sessionId, signal: 'approved', taskId: 'gate', taskStatus: 'ready' } });
    const done = await stack.waitForSession(sessionId);
    expect(done.status).toBe('completed');
    expect(task(done, 'gate')).toMatchObject({ status: 'completed', output: { by: 'ops', ticket: 42 } });
    expect(task(done, 'after')).toMatchObject({ status: 'completed', inputFrom: ['gate'] });
    // Delivered once: again is a 409, and the session has finished now, which is a 409 as well.
    expect((await signal(sessionId, 'approved', 'late')).status).toBe(409);
  });

  it('two signals that arrive together: exactly one is delivered', async () => {
    for (let round = 0; round < 3; round++) {
      const sessionId = await start([{ id: 'gate', kind: 'signal', signal: 'go' }, research('after', { dependsOn: ['gate'] })]);
      await waitingFor(sessionId, 'gate');
      const answers = await Promise.all([signal(sessionId, 'go', { from: 'a' }), signal(sessionId, 'go', { from: 'b' })]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const loser = answers.find((a) => a.status === 409)!;
      expect(loser.body).toMatchObject({ status: 409, title: 'Signal already delivered' });
      const winner = answers.findIndex((a) => a.status === 200);
      const done = await stack.waitForSession(sessionId);
      expect(task(done, 'gate').output).toEqual({ from: winner === 0 ? 'a' : 'b' });
    }
  });

  it("a signal's timeout applies its onFailure policy", async () => {
    const going = await start([
      { id: 'gate', kind: 'signal', signal: 'never', timeoutMs: 700, onFailure: 'continue' },
      research('after', { dependsOn: ['gate'] }),
    ]);
    const waiting = await waitingFor(going, 'gate');
    expect(task(waiting, 'gate').waitingFor).toEqual({ signal: 'never', timeoutAt: expect.any(String) });
    const continued = await stack.waitForSession(going);
    expect(continued.status).toBe('completed');
    expect(task(continued, 'gate')).toMatchObject({ status: 'failed', error: { name: 'SignalTimeoutError' } });
    expect(task(continued, 'after').status).toBe('completed');
    // Timed out: no task waits for it any more.
    const failing = await start([{ id: 'gate', kind: 'signal', signal: 'never', timeoutMs: 500 }, research('after', { dependsOn: ['gate'] })]);
    const failed = await stack.waitForSession(failing);
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'SignalTimeoutError' } });
    expect(task(failed, 'after').status).toBe('cancelled');
  });

  it('answers 404 for a signal no task waits for, 409 for a finished session, 403 below operator, 404 to another tenant', async () => {
    const sessionId = await start([
      { id: 'pause', kind: 'wait', durationMs: 60_000 },
      { id: 'gate', kind: 'signal', signal: 'later', dependsOn: ['pause'] },
    ]);
    await waitingFor(sessionId, 'pause');
    // No task has the name; and the task that has it does not wait for it yet (it waits for `pause`).
    expect((await signal(sessionId, 'nobody')).body).toMatchObject({ status: 404, title: 'Signal not awaited' });
    expect((await signal(sessionId, 'later')).status).toBe(404);
    expect((await signal(sessionId, 'later', 1, authHeader('viewer'))).status).toBe(403);
    expect((await signal(sessionId, 'later', 1, authHeader('otherOperator'))).body).toMatchObject({ status: 404, title: 'Session not found' });
    expect((await signal(sessionId, 'bad name!')).status).toBe(400);
    expect((await stack.request('POST', `${API}/sessions/${sessionId}/signals/later`, { payload: 1, extra: true })).status).toBe(400);
    expect((await stack.request('DELETE', `${API}/sessions/${sessionId}`)).status).toBe(200);
    expect((await signal(sessionId, 'later')).body).toMatchObject({ status: 409, title: 'Session finished' });
  });

  it('cancel ends a waiting wait and a waiting signal task, and their jobs leave the wait queue', async () => {
    const sessionId = await start([
      { id: 'pause', kind: 'wait', until: new Date(Date.now() + 3_600_000).toISOString() },
      { id: 'gate', kind: 'signal', signal: 'go', timeoutMs: 3_600_000 },
    ]);
    await waitingFor(sessionId, 'pause');
    await waitingFor(sessionId, 'gate');
    expect((await stack.request('DELETE', `${API}/sessions/${sessionId}`)).status).toBe(200);
    const cancelled = await stack.waitForSession(sessionId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.tasks.map((t: any) => [t.id, t.status])).toEqual([
      ['pause', 'cancelled'],
      ['gate', 'cancelled'],
    ]);
    const delayed = `{${stack.prefix}-0}:sy.wait:delayed`;
    expect(await stack.redis.zscore(delayed, `${sessionId}.t.pause`)).toBeNull();
    expect(await stack.redis.zscore(delayed, `${sessionId}.t.gate`)).toBeNull();
  });

  it('refuses a wait without its time, a signal without its name, and capabilities on either (400, naming each)', async () => {
    const answer = await stack.request('POST', `${API}/orchestrate`, {
      plan: {
        tasks: [
          { id: 'w', kind: 'wait' },
          { id: 's', kind: 'signal', capabilities: ['web_research'] },
          { id: 'plain', durationMs: 5 },
        ],
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: any) => e.path)).toEqual(
      expect.arrayContaining([
        'plan.tasks[0].durationMs',
        'plan.tasks[1].capabilities',
        'plan.tasks[1].signal',
        'plan.tasks[2].capabilities',
        'plan.tasks[2].durationMs',
      ]),
    );
  });
});

describe('a durable wait across restarts', () => {
  let server: OwnRedis;
  let stack: Stack;

  beforeAll(async () => {
    server = await OwnRedis.start({ appendOnly: true });
    stack = await Stack.start({ workers: 1, redisUrl: server.url });
  });

  afterAll(async () => {
    await server?.up().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
    await server?.destroy();
  });

  it('survives a restart of the API and the worker, and of Redis with AOF', async () => {
    const started = await stack.request('POST', `${API}/orchestrate`, {
      plan: { tasks: [{ id: 'pause', kind: 'wait', durationMs: 8000 }, research('after', { dependsOn: ['pause'] })] },
    });
    expect(started.status).toBe(202);
    const sessionId = started.body.sessionId;
    await stack.waitForSession(sessionId, (s) => typeof task(s, 'pause')?.waitingFor === 'object');
    const begun = Date.now();

    // Every process goes, then Redis (SIGTERM: it writes its AOF), and everything comes back.
    await stack.workers[0].stop();
    await stack.api.stop();
    await server.down();
    await server.up();
    await stack.restartApi();
    await stack.addWorker();

    const during = await until('the session after the restarts', async () => {
      const answer = await stack.request('GET', `${API}/sessions/${sessionId}`);
      return answer.status === 200 ? answer.body : undefined;
    });
    expect(['waiting', 'completed']).toContain(task(during, 'pause').status);
    const done = await stack.waitForSession(sessionId, undefined, 60_000);
    expect(done.status).toBe('completed');
    expect(task(done, 'pause').output.waitedMs).toBeGreaterThanOrEqual(8000);
    expect(task(done, 'after').status).toBe('completed');
    expect(Date.now() - begun).toBeLessThan(60_000);
  });
});
