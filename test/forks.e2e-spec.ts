import { authHeader } from './support/api-keys';
import { Stack } from './support/stack';

const API = '/api/orchestrator';
const task = (session: any, id: string) => session.tasks.find((t: any) => t.id === id);
const research = (id: string, extra: Record<string, unknown> = {}) => ({ id, capabilities: ['web_research'], ...extra });

/**
 * Forks of finished sessions: the forked task and what waits on it run again, every other task
 * keeps its output without running. Every built-in agent makes one model call per run and logs
 * "model answered" in the session's log, so that log counts a session's model calls per task.
 */
describe('forks', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ workers: 1 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const run = async (tasks: unknown[]) => {
    const answer = await stack.request('POST', `${API}/orchestrate`, { plan: { tasks }, context: { audience: 'ops', tone: 'dry' } });
    if (answer.status !== 202) throw new Error(`orchestrate answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return stack.waitForSession(answer.body.sessionId);
  };
  const fork = (sessionId: string, body: unknown, as: Record<string, string> = {}) =>
    stack.request('POST', `${API}/sessions/${sessionId}/fork`, body, undefined, as);
  /** The tasks of a session whose agent called the model, once per call. */
  const modelCalls = async (sessionId: string) => {
    const entries = (await stack.request('GET', `${API}/sessions/${sessionId}/logs?limit=1000`)).body.entries as any[];
    return entries
      .filter((e) => e.message === 'model answered')
      .map((e) => e.taskId)
      .sort();
  };
  const forked = async (sessionId: string, body: unknown) => {
    const answer = await fork(sessionId, body);
    expect(answer.status).toBe(202);
    const session = await stack.waitForSession(answer.body.sessionId);
    return { answer: answer.body, session };
  };

  it('of a chain from its middle: the middle and what follows run again, the start keeps its output', async () => {
    const old = await run([research('a'), research('b', { dependsOn: ['a'] }), research('c', { dependsOn: ['b'] })]);
    expect(old.status).toBe('completed');
    const { answer, session } = await forked(old.id, { fromTask: 'b', context: { tone: null, length: 'short' } });
    expect(answer).toMatchObject({ status: 'pending', forkedFrom: { sessionId: old.id, taskId: 'b' }, rerun: ['b', 'c'], reused: ['a'] });
    expect(session).toMatchObject({ status: 'completed', forkedFrom: { sessionId: old.id, taskId: 'b' }, context: { audience: 'ops', length: 'short' } });
    expect(session.context.tone).toBeUndefined();
    expect(task(session, 'a')).toMatchObject({ status: 'completed', reusedFrom: old.id, output: task(old, 'a').output, attempts: 0 });
    expect(task(session, 'b')).toMatchObject({ status: 'completed', attempts: 1, inputFrom: ['a'] });
    expect(task(session, 'b').reusedFrom).toBeUndefined();
    expect(task(session, 'c').status).toBe('completed');
    expect(await modelCalls(session.id)).toEqual(['b', 'c']);
    expect(await modelCalls(old.id)).toEqual(['a', 'b', 'c']);
    expect(Object.keys(session.result.outputs).sort()).toEqual(['a', 'b', 'c']);
  });

  it('of a DAG whose forked task has dependants in two branches: those and what joins them run again, the other branch does not', async () => {
    const old = await run([
      research('root'),
      research('x', { dependsOn: ['root'] }),
      research('left', { dependsOn: ['x'] }),
      research('right', { dependsOn: ['x'], children: [research('right-kid')] }),
      research('other', { dependsOn: ['root'] }),
      research('join', { dependsOn: ['left', 'right', 'other'] }),
    ]);
    expect(old.status).toBe('completed');
    const { answer, session } = await forked(old.id, { fromTask: 'x', input: { topic: 'costs' } });
    expect(answer.rerun).toEqual(['x', 'left', 'right', 'right-kid', 'join']);
    expect(answer.reused).toEqual(['root', 'other']);
    expect(session.status).toBe('completed');
    for (const id of ['root', 'other']) expect(task(session, id)).toMatchObject({ reusedFrom: old.id, output: task(old, id).output });
    expect(await modelCalls(session.id)).toEqual(['join', 'left', 'right', 'right-kid', 'x']);
    // The new input reached the forked task's run.
    expect(task(session, 'x').output.text).not.toEqual(task(old, 'x').output.text);
    expect(session.plan.tasks[1].input).toEqual({ topic: 'costs' });
    expect(task(session, 'x').output.text).toContain('Topic: costs');
  });

  it('of a failed session: the failed task runs again with new input, and the session completes', async () => {
    // The built-in agents fail a task whose input asks them to (input.simulateFailures).
    const old = await run([
      research('fine'),
      research('flaky', { dependsOn: ['fine'], input: { simulateFailures: 5 }, attempts: 1 }),
      research('after', { dependsOn: ['flaky'] }),
      research('apart'),
    ]);
    expect(old.status).toBe('failed');
    expect(task(old, 'flaky').status).toBe('failed');
    // `apart` may have completed before the session failed, or have been cancelled: it runs again only in the second case.
    const completed = old.tasks.filter((t: any) => t.status === 'completed').map((t: any) => t.id);
    expect(completed).toContain('fine');
    const { answer, session } = await forked(old.id, { fromTask: 'flaky', input: { topic: 'fixed' } });
    expect(session.status).toBe('completed');
    expect(answer.reused).toEqual(completed);
    expect(answer.rerun).toEqual(['flaky', 'after', 'apart'].filter((id) => !completed.includes(id)));
    expect(task(session, 'flaky')).toMatchObject({ status: 'completed', attempts: 1 });
    expect(task(session, 'fine')).toMatchObject({ status: 'completed', reusedFrom: old.id, output: task(old, 'fine').output });
    expect(await modelCalls(session.id)).toEqual([...answer.rerun].sort());
  });

  it('answers 404 for an unknown task or another tenant, 409 for a running session, 403 below operator, 400 for a malformed body', async () => {
    const old = await run([research('a')]);
    expect((await fork(old.id, { fromTask: 'nope' })).body).toMatchObject({ status: 404, title: 'Task not found' });
    expect((await fork(old.id, { fromTask: 'a' }, authHeader('otherOperator'))).body).toMatchObject({ status: 404, title: 'Session not found' });
    expect((await fork(old.id, { fromTask: 'a' }, authHeader('viewer'))).status).toBe(403);
    expect((await fork(old.id, { fromTask: 'a', extra: 1 })).status).toBe(400);
    expect((await fork(old.id, {})).status).toBe(400);
    const running = await stack.request('POST', `${API}/orchestrate`, { plan: { tasks: [{ id: 'hold', kind: 'wait', durationMs: 60_000 }] } });
    expect((await fork(running.body.sessionId, { fromTask: 'hold' })).body).toMatchObject({ status: 409, title: 'Session not forkable' });
    // A cancelled session forks: the wait runs again.
    await stack.request('DELETE', `${API}/sessions/${running.body.sessionId}`);
    const again = await fork(running.body.sessionId, { fromTask: 'hold' }, authHeader('operator'));
    expect(again.body).toMatchObject({ status: 'pending', rerun: ['hold'], reused: [] });
    await stack.request('DELETE', `${API}/sessions/${again.body.sessionId}`);
  });
});
