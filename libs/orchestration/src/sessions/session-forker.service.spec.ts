import { BUILTIN_CAPABILITY_NAMES } from '../agents/capability-catalog';
import { SessionNotForkableError, TaskNotFoundError } from '../errors/errors';
import { Plan } from '../plans/plan.schema';
import { PlanGraph } from '../plans/plan-graph';
import { validatePlan } from '../plans/plan-validator';
import { ShardTag } from '../redis/keys';
import { strict } from '../testing/strict-fake';
import { ReusedTask } from './session.store';
import { SessionForker } from './session-forker.service';
import { SessionView, TaskStatus } from './session.types';

const OLD = '0-11111111-1111-4111-8111-111111111111';
const NEW = '0-22222222-2222-4222-8222-222222222222';
const tag = '{t-0}' as ShardTag;

const plan: Plan = {
  tasks: [
    { id: 'a', capabilities: ['web_research'] },
    { id: 'b', capabilities: ['web_research'], dependsOn: ['a'], input: { topic: 'old' } },
    { id: 'c', capabilities: ['web_research'], dependsOn: ['b'] },
    { id: 'side', capabilities: ['web_research'] },
  ],
};

function view(status: SessionView['status'], tasks: Record<string, TaskStatus>, withPlan = true): SessionView {
  return {
    id: OLD,
    sessionId: OLD,
    status,
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:00:01.000Z',
    ...(withPlan ? { plan } : {}),
    tasks: Object.entries(tasks).map(([id, s]) => ({
      id,
      parentId: null,
      capabilities: ['web_research'],
      dependsOn: [],
      status: s,
      attempts: 1,
      ...(s === 'completed' ? { output: { of: id }, finishedAt: '2026-12-06T10:00:00.500Z' } : {}),
    })),
    context: { audience: 'ops', tone: 'dry' },
  };
}

/** The forker with strict fakes; `started` records what it hands the enqueuer. */
function forker(old: SessionView | undefined) {
  const started: { plan?: Plan; graph?: PlanGraph; context?: unknown; tenant?: string; reused?: readonly ReusedTask[] } = {};
  const shards = strict('shards', { tagOf: () => tag, newSessionId: () => NEW });
  const store = strict('store', {
    view: async () => old,
    tenant: async () => (old ? 'acme' : undefined),
    sendReused: (_client: unknown, _tag: ShardTag, _id: string, reused: readonly ReusedTask[]) => ((started.reused = reused), []),
  });
  const enqueuer = strict('enqueuer', {
    validateFresh: async (raw: unknown) => validatePlan(raw, BUILTIN_CAPABILITY_NAMES),
    start: async (
      _tag: ShardTag,
      session: { tenant: string; context: unknown },
      p: Plan,
      graph: PlanGraph,
      log: (c: unknown) => unknown[],
      after: (c: unknown) => unknown[],
    ) => {
      Object.assign(started, { plan: p, graph, context: session.context, tenant: session.tenant });
      log({});
      after({});
    },
  });
  const log = strict('log', { mirror: () => undefined, sendWith: () => [] });
  return { service: new SessionForker(shards as never, store as never, enqueuer as never, log as never), started };
}

describe('SessionForker', () => {
  it('runs the task and what waits on it again, keeps the rest with their outputs, and merges the context', async () => {
    const { service, started } = forker(view('completed', { a: 'completed', b: 'completed', c: 'completed', side: 'completed' }));
    const answer = await service.fork(OLD, { fromTask: 'b', input: { topic: 'new' }, context: { tone: null, length: 'short' } });
    expect(answer).toEqual({ sessionId: NEW, status: 'pending', forkedFrom: { sessionId: OLD, taskId: 'b' }, rerun: ['b', 'c'], reused: ['a', 'side'] });
    expect(started.reused).toEqual([
      { id: 'a', output: { of: 'a' }, finishedAt: '2026-12-06T10:00:00.500Z' },
      { id: 'side', output: { of: 'side' }, finishedAt: '2026-12-06T10:00:00.500Z' },
    ]);
    expect(started.plan!.tasks[1].input).toEqual({ topic: 'new' });
    expect(plan.tasks[1].input).toEqual({ topic: 'old' });
    expect(started.context).toEqual({ audience: 'ops', length: 'short' });
    expect(started.tenant).toBe('acme');
  });

  it('runs again the tasks of a failed session that had not completed, with the forked one', async () => {
    const { service } = forker(view('failed', { a: 'completed', b: 'failed', c: 'cancelled', side: 'cancelled' }));
    const answer = await service.fork(OLD, { fromTask: 'b' });
    expect([answer.rerun, answer.reused]).toEqual([['b', 'c', 'side'], ['a']]);
  });

  it('refuses a running session, one without a plan, a missing one and an unknown task', async () => {
    await expect(forker(view('running', { a: 'running' })).service.fork(OLD, { fromTask: 'a' })).rejects.toBeInstanceOf(SessionNotForkableError);
    await expect(forker(view('failed', {}, false)).service.fork(OLD, { fromTask: 'a' })).rejects.toThrow(/no plan/);
    await expect(forker(undefined).service.fork(OLD, { fromTask: 'a' })).rejects.toThrow(/No session/);
    await expect(forker(view('completed', { a: 'completed' })).service.fork(OLD, { fromTask: 'nope' })).rejects.toBeInstanceOf(TaskNotFoundError);
  });
});
