import { buildPlanGraph, flattenPlan } from '@switchyard/orchestration/plans/plan-graph';
import { keys } from '@switchyard/orchestration/redis/keys';
import { TaskRunStore } from '@switchyard/orchestration/sessions/task-run.store';
import { StateHarness } from './support/state-harness';

// One harness (a prefix of its own on the shared Redis) for both groups; each test opens its own session.
let harness: StateHarness;
let runs: TaskRunStore;

beforeAll(() => {
  harness = new StateHarness();
  runs = new TaskRunStore(harness.redis);
});

afterAll(async () => {
  await harness?.close();
});

/**
 * A task's write-back sent again once it landed (its job ran again after the write-back, or a
 * lost write-back was recovered from the job while the first one was landing): the task keeps
 * the output and the time it finished, so it never appears to finish after a dependant started;
 * its waiters are still told.
 */
describe('a completed task written back again', () => {
  it('keeps its first output and finish time, and still tells its waiters', async () => {
    const { sessionId, tag } = await harness.newSession();
    const plan = { tasks: [{ id: 'a', capabilities: ['web_research'] }, { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] }] };
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
    const events = async () => (await harness.redis.client.xrange(keys.events(tag, sessionId), '-', '+')).filter(([, f]) => f[3].includes('"taskId":"a"'));
    const eventsBefore = (await events()).length;

    const waiter = { id: 'b', queue: 'web_research' };
    expect(await runs.finishTask(tag, sessionId, 'a', { status: 'completed', output: { n: 1 } }, [waiter], { at: '2026-11-30T03:00:00.000Z' })).toEqual([waiter]);
    const again = await runs.finishTask(tag, sessionId, 'a', { status: 'completed', output: { n: 1 } }, [waiter], { at: '2026-11-30T03:00:05.000Z' });

    expect(again).toEqual([waiter]);
    expect(await harness.redis.client.hmget(keys.task(tag, sessionId, 'a'), 'status', 'finishedAt')).toEqual(['completed', '2026-11-30T03:00:00.000Z']);
    expect(await harness.sessions.outputsOf(tag, sessionId, ['a'])).toEqual({ a: { n: 1 } });
    // One "completed" event, not a second one with the later time.
    expect((await events()).length).toBe(eventsBefore + 1);
    expect(await harness.redis.client.hget(keys.task(tag, sessionId, 'b'), 'status')).toBe('ready');
  });

  it('is written again when it failed before and completes now (an operator retry)', async () => {
    const { sessionId, tag } = await harness.newSession();
    const plan = { tasks: [{ id: 'a', capabilities: ['web_research'] }] };
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
    await runs.finishTask(tag, sessionId, 'a', { status: 'failed' }, [], { at: '2026-11-30T03:00:00.000Z' });
    await runs.finishTask(tag, sessionId, 'a', { status: 'completed', output: 'done' }, [], { at: '2026-11-30T03:01:00.000Z' });
    expect(await harness.redis.client.hmget(keys.task(tag, sessionId, 'a'), 'status', 'finishedAt')).toEqual(['completed', '2026-11-30T03:01:00.000Z']);
    expect(await harness.sessions.outputsOf(tag, sessionId, ['a'])).toEqual({ a: 'done' });
  });
});

/**
 * A task's start time is read from the starting worker's clock before its start script runs; the
 * script never lets it come before the finish of what the task waits for, as stamped by another
 * process (whose clock may be ahead, or whose finish Redis ran while this start waited in line).
 */
describe('a task started after its dependency finished by another process', () => {
  it('is stamped no earlier than that finish, and runs with its output', async () => {
    const { sessionId, tag } = await harness.newSession();
    const plan = { tasks: [{ id: 'a', capabilities: ['web_research'] }, { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] }] };
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
    // The process that finished `a` stamped a time this one's clock has not reached.
    const later = new Date(Date.now() + 60_000).toISOString();
    await runs.finishTask(tag, sessionId, 'a', { status: 'completed', output: { n: 1 } }, [{ id: 'b', queue: 'web_research' }], { at: later });

    const begun = await runs.beginTask(tag, sessionId, 'b', ['a'], { agentId: 'agent', worker: { host: 'h', pid: 1 } });
    expect(begun).toMatchObject({ hold: false, attempt: 1, dependencies: { a: { n: 1 } }, readyAt: later });
    expect(await harness.redis.client.hmget(keys.task(tag, sessionId, 'b'), 'status', 'startedAt')).toEqual(['running', later]);
    expect(await harness.redis.client.hget(keys.session(tag, sessionId), 'startedAt')).toBe(later);
  });
});

