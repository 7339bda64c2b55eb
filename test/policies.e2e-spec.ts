import { Stack } from './support/stack';

/** Every offline model call takes 300 ms here, so a task with `timeoutMs: 50` always fails. */
const failing = (id: string, extra: Record<string, unknown> = {}) => ({ id, capabilities: ['web_research'], timeoutMs: 50, attempts: 1, ...extra });
const fine = (id: string, extra: Record<string, unknown> = {}) => ({ id, capabilities: ['web_research'], ...extra });

describe('failure policies and operator input', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1, env: { SWITCHYARD_OFFLINE_LATENCY_MS: '300' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const start = async (tasks: unknown[]) => (await stack.request('POST', '/api/orchestrator/orchestrate', { plan: { tasks } })).body.sessionId as string;
  const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);
  const resolve = (sessionId: string, taskId: string, body: unknown) =>
    stack.request('POST', `/api/orchestrator/sessions/${sessionId}/tasks/${taskId}/resolve`, body);

  it("continue: dependants and the parent run without the failed task's result", async () => {
    const sessionId = await start([
      fine('ok'),
      failing('flaky', { onFailure: 'continue' }),
      fine('after', { dependsOn: ['ok', 'flaky'] }),
      fine('parent', { children: [failing('bad-child', { onFailure: 'continue' }), fine('good-child')] }),
    ]);
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    expect(task(session, 'flaky')).toMatchObject({ status: 'failed', error: { name: 'TaskTimeoutError' } });
    expect(task(session, 'after')).toMatchObject({ status: 'completed', inputFrom: ['ok', 'flaky'] });
    expect(task(session, 'after').output.basedOn).toEqual(['ok']);
    expect(task(session, 'parent').status).toBe('completed');
    expect(task(session, 'parent').output.basedOn).toEqual(['good-child']);
    expect(session.result.outputs.flaky).toBeNull();
  });

  it('ask: the failed task pauses its branch, other branches go on, and "provide" resumes it', async () => {
    const sessionId = await start([failing('asks', { onFailure: 'ask' }), fine('next', { dependsOn: ['asks'] }), fine('elsewhere')]);
    const paused = await stack.waitForSession(sessionId, (s) => s.status === 'paused' && task(s, 'elsewhere').status === 'completed');
    expect(task(paused, 'asks')).toMatchObject({ status: 'paused', error: { name: 'TaskTimeoutError' } });
    expect(task(paused, 'asks').waitingFor).toContain('operator input');
    expect(task(paused, 'next').status).toBe('waiting');

    const answer = await resolve(sessionId, 'asks', { action: 'provide', output: { text: 'written by hand' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ action: 'provide', taskStatus: 'completed', sessionStatus: 'running' });
    const done = await stack.waitForSession(sessionId);
    expect(done.status).toBe('completed');
    expect(task(done, 'asks')).toMatchObject({ status: 'completed', output: { text: 'written by hand' } });
    expect(task(done, 'next').output.text).toContain('From asks: written by hand');
  });

  it('ask: "retry" runs it again (and it pauses again), "abort" fails the session', async () => {
    const sessionId = await start([failing('asks', { onFailure: 'ask' }), fine('next', { dependsOn: ['asks'] })]);
    await stack.waitForSession(sessionId, (s) => task(s, 'asks').status === 'paused');
    expect((await resolve(sessionId, 'asks', { action: 'retry' })).status).toBe(200);
    const again = await stack.waitForSession(sessionId, (s) => task(s, 'asks').status === 'paused' && task(s, 'asks').attempts === 2);
    expect(again.status).toBe('paused');

    const aborted = await resolve(sessionId, 'asks', { action: 'abort' });
    expect(aborted.body).toMatchObject({ taskStatus: 'failed', sessionStatus: 'failed' });
    const done = await stack.waitForSession(sessionId, (s) => s.status === 'failed' && task(s, 'next').status === 'cancelled');
    expect(done.error).toMatchObject({ name: 'OperatorAbort', taskId: 'asks' });
  });

  it('approval: waits for the operator before running; "skip" lets dependants run without it', async () => {
    const sessionId = await start([{ id: 'gate', kind: 'approval', capabilities: ['code_review'] }, fine('ship', { dependsOn: ['gate'] })]);
    const paused = await stack.waitForSession(sessionId, (s) => task(s, 'gate').status === 'paused');
    expect(task(paused, 'gate')).toMatchObject({ waitingFor: 'operator approval', attempts: 0 });

    expect((await resolve(sessionId, 'ship', { action: 'skip' })).status).toBe(409);
    expect((await resolve(sessionId, 'ghost', { action: 'skip' })).status).toBe(404);
    const bad = await resolve(sessionId, 'gate', { action: 'provide' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'output', message: 'is required with action "provide"' }]);

    expect((await resolve(sessionId, 'gate', { action: 'skip' })).status).toBe(200);
    const done = await stack.waitForSession(sessionId);
    expect(done.status).toBe('completed');
    expect(task(done, 'gate').status).toBe('skipped');
    expect(task(done, 'ship').output.basedOn).toEqual([]);
    expect((await resolve(sessionId, 'gate', { action: 'skip' })).status).toBe(409);
  });

  it('takes higher-priority tasks first when the workers are saturated', async () => {
    // The researcher runs 4 web_research tasks at once; 8 wait, listed low priority first.
    const sessionId = await start([
      ...Array.from({ length: 4 }, (_, i) => fine(`low-${i}`)),
      ...Array.from({ length: 4 }, (_, i) => fine(`high-${i}`, { priority: 10 })),
    ]);
    const session = await stack.waitForSession(sessionId);
    expect(session.status).toBe('completed');
    const started = (prefix: string) => session.tasks.filter((t: any) => t.id.startsWith(prefix)).map((t: any) => Date.parse(t.startedAt));
    expect(Math.max(...started('high-'))).toBeLessThanOrEqual(Math.min(...started('low-')));
  });
});
