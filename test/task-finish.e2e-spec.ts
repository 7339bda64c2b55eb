import { buildPlanGraph, flattenPlan } from '@switchyard/orchestration/plans/plan-graph';
import { jobIds, keys } from '@switchyard/orchestration/redis/keys';
import { SessionOutputsFullError } from '@switchyard/orchestration';
import { WriteBackStore } from '@switchyard/orchestration/engine/write-back.store';
import { HandOff } from '@switchyard/orchestration/engine/hand-off';
import { TaskQueues } from '@switchyard/orchestration/queues/task-queues.service';
import { startTasks } from '@switchyard/orchestration/engine/scripts/start-task';
import { StateHarness } from './support/state-harness';
import { OwnRedis } from './support/redis-server';

// One harness (a prefix of its own on the shared Redis) for both groups; each test opens its own session.
let harness: StateHarness;
let runs: WriteBackStore;

beforeAll(() => {
  harness = new StateHarness();
  runs = new WriteBackStore(harness.redis, harness.config);
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
    const plan = {
      tasks: [
        { id: 'a', capabilities: ['web_research'] },
        { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] },
      ],
    };
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
    const events = async () => (await harness.redis.client.xrange(keys.events(tag, sessionId), '-', '+')).filter(([, f]) => f[3].includes('"taskId":"a"'));
    const eventsBefore = (await events()).length;

    const waiter = { id: 'b', queue: 'web_research' };
    expect(await runs.finishTask(tag, sessionId, 'a', { status: 'completed', output: { n: 1 } }, [waiter], { at: '2026-11-30T03:00:00.000Z' })).toEqual([
      waiter,
    ]);
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
    const plan = {
      tasks: [
        { id: 'a', capabilities: ['web_research'] },
        { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] },
      ],
    };
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
    // The process that finished `a` stamped a time this one's clock has not reached.
    const later = new Date(Date.now() + 60_000).toISOString();
    await runs.finishTask(tag, sessionId, 'a', { status: 'completed', output: { n: 1 } }, [{ id: 'b', queue: 'web_research' }], { at: later });

    const run = { agentId: 'agent', worker: { host: 'h', pid: 1 } };
    const [begun] = await startTasks(harness.redis.client, [
      { session: keys.session(tag, sessionId), taskId: 'b', inputFrom: ['a'], now: new Date().toISOString(), run },
    ]);
    expect(begun).toMatchObject({ kind: 'go', attempt: 1, dependencies: { a: { n: 1 } }, readyAt: later });
    expect(await harness.redis.client.hmget(keys.task(tag, sessionId, 'b'), 'status', 'startedAt')).toEqual(['running', later]);
    expect(await harness.redis.client.hget(keys.session(tag, sessionId), 'startedAt')).toBe(later);
  });
});

/**
 * The write-back counts the bytes a session's outputs take, in the session's hash, and refuses
 * an output that would take them over SWITCHYARD_MAX_SESSION_BYTES: nothing of it is written.
 */
describe("a session's stored outputs", () => {
  /** A store whose sessions may hold 100 bytes of outputs. */
  const bounded = () => new WriteBackStore(harness.redis, { maxSessionBytes: 100 });
  const plan = (ids: string[]) => ({
    tasks: [...ids.map((id) => ({ id, capabilities: ['web_research'] })), { id: 'z', capabilities: ['web_research'], dependsOn: ids }],
  });
  const waiter = { id: 'z', queue: 'web_research' };
  /** An output of exactly `n` bytes as JSON. */
  const ofBytes = (n: number) => 'x'.repeat(n - 2);

  it('are counted, and one that would go over the bound is refused whole: not stored, not finished, nobody told', async () => {
    const { sessionId, tag } = await harness.newSession();
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan(['a', 'b', 'c']) as never)), { plan: plan(['a', 'b', 'c']) as never });
    const store = bounded();
    await store.finishTask(tag, sessionId, 'a', { status: 'completed', output: ofBytes(60) }, [waiter]);

    const refused = store.finishTask(tag, sessionId, 'b', { status: 'completed', output: ofBytes(41) }, [waiter]);
    await expect(refused).rejects.toBeInstanceOf(SessionOutputsFullError);
    await expect(refused).rejects.toMatchObject({ sessionId, taskId: 'b', bytes: 41, heldBytes: 60, limit: 100, retryable: false });
    expect(await harness.sessions.outputsOf(tag, sessionId, ['a', 'b'])).toEqual({ a: ofBytes(60) });
    expect(await harness.redis.client.hget(keys.task(tag, sessionId, 'b'), 'status')).toBe('ready');
    expect((await harness.redis.client.smembers(keys.pendingDeps(tag, sessionId, 'z'))).sort()).toEqual(['b', 'c']);

    // Exactly up to the bound fits; the start of a task hears what the outputs hold.
    await store.finishTask(tag, sessionId, 'c', { status: 'completed', output: ofBytes(40) }, [waiter]);
    await store.finishTask(tag, sessionId, 'b', { status: 'failed' }, [waiter]);
    expect(await harness.redis.client.hget(keys.session(tag, sessionId), 'outputBytes')).toBe('100');
    const start = { session: keys.session(tag, sessionId), taskId: 'z', inputFrom: ['a', 'b', 'c'], now: new Date().toISOString() };
    expect(await startTasks(harness.redis.client, [start])).toMatchObject([{ kind: 'go', outputBytes: 100 }]);
  });

  it('hold no more than the bound when write-backs race, in one batch or several', async () => {
    const { sessionId, tag } = await harness.newSession();
    const ids = Array.from({ length: 10 }, (_, i) => `t${i}`);
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan(ids) as never)), { plan: plan(ids) as never });
    const store = bounded();
    const queues = new TaskQueues(harness.redis);
    const handOff = new HandOff(store, queues);
    const job = { queue: 'web_research', hasChildren: false, keepSeconds: 60 };
    // Half sent ahead by the hand-off in one tick (one transaction), half each on its own.
    const results = await Promise.allSettled(
      ids.map((id, i) =>
        i % 2 === 0
          ? handOff
              .complete(tag, { sessionId, taskId: id, output: ofBytes(30), waiters: [waiter], promote: [], job, at: new Date().toISOString() })
              .then((sent) => sent.ready)
          : store.finishTask(tag, sessionId, id, { status: 'completed', output: ofBytes(30) }, [waiter]),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(r.reason).toBeInstanceOf(SessionOutputsFullError);
    const stored = await harness.sessions.outputsOf(tag, sessionId, ids);
    expect(Object.keys(stored)).toHaveLength(3);
    expect(await harness.redis.client.hget(keys.session(tag, sessionId), 'outputBytes')).toBe('90');
  });
});

/**
 * The one start script (start-task.lua) against Redis: each case of its answer, the clock rule and
 * the one session transition, whether the task is marked running at once or only looked at.
 */
describe('the start script', () => {
  const plan = {
    tasks: [
      { id: 'a', capabilities: ['web_research'] },
      { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] },
    ],
  };
  const run = { agentId: 'agent', worker: { host: 'h', pid: 1 } };

  async function planned() {
    const { sessionId, tag } = await harness.newSession({ audience: 'ops' });
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
    const start = (taskId: string, inputFrom: string[], marking = false) =>
      startTasks(harness.redis.client, [
        { session: keys.session(tag, sessionId), taskId, inputFrom, now: new Date().toISOString(), ...(marking ? { run } : {}) },
      ]);
    return { sessionId, tag, start };
  }

  it('holds a task whose dependency has not finished, and answers done with the output of one that completed', async () => {
    const { sessionId, tag, start } = await planned();
    expect(await start('b', ['a'], true)).toEqual([{ kind: 'hold', status: 'pending' }]);
    expect(await harness.redis.client.hget(keys.task(tag, sessionId, 'b'), 'status')).toBe('waiting');
    await runs.finishTask(tag, sessionId, 'a', { status: 'completed', output: { n: 1 } }, [{ id: 'b', queue: 'web_research' }]);
    expect(await start('a', [], true)).toEqual([{ kind: 'done', status: 'pending', output: { n: 1 } }]);
  });

  it('only looking, moves a pending session to running but leaves the task as it was; marking, counts the run', async () => {
    const { sessionId, tag, start } = await planned();
    const [looked] = await start('a', []);
    expect(looked).toMatchObject({ kind: 'go', status: 'running', attempt: undefined, shared: { audience: 'ops' }, tenant: 'acme' });
    expect(await harness.redis.client.hget(keys.session(tag, sessionId), 'status')).toBe('running');
    expect(await harness.redis.client.hmget(keys.task(tag, sessionId, 'a'), 'status', 'attempts')).toEqual(['ready', '0']);
    expect(await start('a', [], true)).toMatchObject([{ kind: 'go', attempt: 1 }]);
    expect(await start('a', [], true)).toMatchObject([{ kind: 'go', attempt: 2 }]);
    expect(await harness.redis.client.hmget(keys.task(tag, sessionId, 'a'), 'status', 'attempts', 'agentId')).toEqual(['running', '2', 'agent']);
  });

  it('starts nothing in a session that ended or does not exist', async () => {
    const { sessionId, tag, start } = await planned();
    await harness.sessions.end(tag, sessionId, ['pending'], 'cancelled');
    expect(await start('a', [], true)).toEqual([{ kind: 'ended', status: 'cancelled' }]);
    const missing = await startTasks(harness.redis.client, [
      { session: keys.session(tag, 'no-such-session'), taskId: 'a', inputFrom: [], now: new Date().toISOString() },
    ]);
    expect(missing).toEqual([{ kind: 'ended', status: undefined }]);
  });

  it('answers each task of a batch, in order, in one call', async () => {
    const { sessionId, tag } = await planned();
    const call = (taskId: string) => ({ session: keys.session(tag, sessionId), taskId, inputFrom: [], now: new Date().toISOString() });
    const replies = await startTasks(harness.redis.client, [call('a'), call('b')]);
    expect(replies).toMatchObject([
      { kind: 'go', shared: { audience: 'ops' } },
      { kind: 'hold', status: 'running' },
    ]);
  });
});

/**
 * The hand-off's transaction (engine/hand-off.ts) against Redis and BullMQ: a completed task's
 * write-back and the promotion of its held dependant go to Redis as one MULTI.
 */
describe('the hand-off of a completed task', () => {
  const plan = {
    tasks: [
      { id: 'a', capabilities: ['web_research'] },
      { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] },
    ],
  };
  const job = { queue: 'web_research', hasChildren: false, keepSeconds: 60 };
  const b = { id: 'b', queue: 'web_research', sole: true as const };

  it('writes back the task and promotes its held dependant in one transaction', async () => {
    const { sessionId, tag } = await harness.newSession();
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
    const queues = new TaskQueues(harness.redis);
    try {
      const held = await queues.queue(tag, 'web_research').add('b', {}, { jobId: jobIds.task(sessionId, 'b'), delay: 3_600_000 });
      const { ready, promotions } = await new HandOff(runs, queues).complete(tag, {
        sessionId,
        taskId: 'a',
        output: { n: 1 },
        waiters: [b],
        promote: [b],
        job,
        at: new Date().toISOString(),
      });
      await expect(ready).resolves.toEqual([b]);
      expect(promotions).toHaveLength(1);
      await Promise.all(promotions);
      expect(await held.getState()).toBe('waiting');
      expect(await harness.redis.client.hget(keys.task(tag, sessionId, 'a'), 'status')).toBe('completed');
    } finally {
      await queues.onApplicationShutdown();
    }
  });

  it('leaves a dependant that is not held (it is running, or gone) to the checked promotion, which lets it be', async () => {
    const { sessionId, tag } = await harness.newSession();
    await harness.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
    const queues = new TaskQueues(harness.redis);
    try {
      const waiting = await queues.queue(tag, 'web_research').add('b', {}, { jobId: jobIds.task(sessionId, 'b') });
      const { ready, promotions } = await new HandOff(runs, queues).complete(tag, {
        sessionId,
        taskId: 'a',
        output: 1,
        waiters: [b],
        promote: [b],
        job,
        at: new Date().toISOString(),
      });
      await expect(ready).resolves.toEqual([b]);
      await expect(Promise.all(promotions)).resolves.toBeDefined();
      expect(await waiting.getState()).toBe('waiting');
    } finally {
      await queues.onApplicationShutdown();
    }
  });
});

/** The hand-off's transaction once Redis lost its scripts, on a redis-server of its own (SCRIPT FLUSH would touch the others' tests). */
describe('the hand-off after Redis lost its scripts', () => {
  let server: OwnRedis;
  let own: StateHarness;

  beforeAll(async () => {
    server = await OwnRedis.start();
    own = new StateHarness({ REDIS_URL: server.url });
  });
  afterAll(async () => {
    await own?.close();
    await server?.destroy();
  });

  it('loads the write-back script again and sends the transaction again: the task is written back and its dependant promoted', async () => {
    const plan = {
      tasks: [
        { id: 'a', capabilities: ['web_research'] },
        { id: 'b', capabilities: ['web_research'], dependsOn: ['a'] },
      ],
    };
    const b = { id: 'b', queue: 'web_research', sole: true as const };
    const job = { queue: 'web_research', hasChildren: false, keepSeconds: 60 };
    const queues = new TaskQueues(own.redis);
    const handOff = new HandOff(new WriteBackStore(own.redis, own.config), queues);
    try {
      const complete = async (sessionId: string, tag: Parameters<HandOff['complete']>[0]) => {
        await own.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
        const held = await queues.queue(tag, 'web_research').add('b', {}, { jobId: jobIds.task(sessionId, 'b'), delay: 3_600_000 });
        const sent = await handOff.complete(tag, { sessionId, taskId: 'a', output: 1, waiters: [b], promote: [b], job, at: new Date().toISOString() });
        await expect(sent.ready).resolves.toEqual([b]);
        await Promise.all(sent.promotions);
        return held;
      };
      // Once with the scripts loaded, then again after Redis lost them.
      const first = await own.newSession();
      expect(await (await complete(first.sessionId, first.tag)).getState()).toBe('waiting');
      await own.redis.client.script('FLUSH');
      const second = await own.newSession();
      expect(await (await complete(second.sessionId, second.tag)).getState()).toBe('waiting');
      expect(await own.redis.client.hget(keys.task(second.tag, second.sessionId, 'a'), 'status')).toBe('completed');
    } finally {
      await queues.onApplicationShutdown();
    }
  });

  it('writes back a task with nothing to promote (its script goes alone, without a transaction) after Redis lost its scripts', async () => {
    const plan = { tasks: [{ id: 'a', capabilities: ['web_research'] }] };
    const job = { queue: 'web_research', hasChildren: false, keepSeconds: 60 };
    const queues = new TaskQueues(own.redis);
    const handOff = new HandOff(new WriteBackStore(own.redis, own.config), queues);
    try {
      for (const flush of [false, true]) {
        if (flush) await own.redis.client.script('FLUSH');
        const { sessionId, tag } = await own.newSession();
        await own.sessions.attachPlan(tag, sessionId, buildPlanGraph(flattenPlan(plan as never)), { plan: plan as never });
        const sent = await handOff.complete(tag, { sessionId, taskId: 'a', output: 2, waiters: [], promote: [], job, at: new Date().toISOString() });
        await expect(sent.ready).resolves.toEqual([]);
        expect(await own.redis.client.hget(keys.task(tag, sessionId, 'a'), 'status')).toBe('completed');
      }
    } finally {
      await queues.onApplicationShutdown();
    }
  });
});
