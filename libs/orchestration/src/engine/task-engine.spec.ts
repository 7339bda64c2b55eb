import { DelayedError, Job } from 'bullmq';
import { TaskJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { strict } from '../testing/strict-fake';
import { taskJobData } from '../testing/task-job-data';
import type { AgentLease } from './decode.service';
import type { Fetched, FetchRun, TaskStart } from './fetch.service';
import { TaskEngine } from './task-engine.service';

const tag = '{t-0}' as ShardTag;

const data = taskJobData;

const start: TaskStart = { status: 'running', attempt: 1, shared: {}, dependencies: {}, tenant: 'default', outputBytes: 0 };
const lease = strict<AgentLease>('lease', { agent: { descriptor: { id: 'researcher-1' } } });

/**
 * The engine with every step a strict fake: `fetches` are what the fetch step answers, in turn;
 * `resolution` is the operator's decision waiting for the task. `calls` records each step's use.
 */
function engine(fetches: Fetched[], options: { resolution?: { action: string; output?: unknown } } = {}) {
  const calls: string[] = [];
  const fetcher = strict('fetcher', {
    fetch: async (_tag: ShardTag, task: TaskJobData, run?: FetchRun) => (
      calls.push(`fetch ${task.taskId}${run ? ` as ${run.agentId}` : ''}`),
      fetches.shift()!
    ),
    hold: async () => void calls.push('hold'),
  });
  const decoder = strict('decoder', {
    withAgent: async (_tag: ShardTag, _job: Job, _token: string, run: (lease: AgentLease) => Promise<unknown>) => {
      calls.push('choose agent');
      return run(lease);
    },
  });
  const executor = strict('executor', {
    run: async (_tag: ShardTag, _job: Job, _token: string, _abort: unknown, _lease: AgentLease, s: TaskStart) => (
      calls.push(`run attempt ${s.attempt}`),
      'out'
    ),
  });
  const writeBack = strict('writeBack', {
    finish: async (_tag: ShardTag, task: TaskJobData, outcome: { status: string }) => void calls.push(`finish ${task.taskId} ${outcome.status}`),
    finishDecomposed: async () => (calls.push('finish after subtasks'), { sub: 1 }),
  });
  const recovery = strict('recovery', {
    recoverDependencies: async (_tag: ShardTag, _task: TaskJobData, pending: ReadonlySet<string>) => (calls.push(`recover ${[...pending].join(',')}`), 0),
  });
  const exceptions = strict('exceptions', {
    pause: async (_tag: ShardTag, _job: Job, _token: string, reason: string) => {
      calls.push(`pause: ${reason}`);
      throw new DelayedError();
    },
    failingOverLimits: (_tag: ShardTag, _job: Job, _token: string, finishing: () => Promise<unknown>) => finishing(),
  });
  const spawner = strict('spawner', { recorded: async () => true });
  const waits = strict('waits', {
    step: async (_tag: ShardTag, job: Job<TaskJobData>, _token: string, restart: boolean) => (
      calls.push(`wait step ${job.data.taskId}${restart ? ' afresh' : ''}`),
      { waitedMs: 5 }
    ),
  });
  const store = strict('store', {
    setTaskStatus: async (_tag: ShardTag, _s: string, taskId: string, status: string) => (calls.push(`status ${taskId} ${status}`), true),
    pendingIds: async () => ['dep'],
    takeResolution: async () => (calls.push('take resolution'), options.resolution),
  });
  const log = strict('log', {
    write: () => undefined,
    scripted: () => ({ key: 'log', bound: 10, json: '{', tail: '}' }),
    flushBefore: async () => undefined,
  });
  const config = strict('config', { maxOutputBytes: 1000, maxSessionBytes: 1000 });
  const service = new TaskEngine(
    fetcher as never,
    decoder as never,
    executor as never,
    writeBack as never,
    recovery as never,
    exceptions as never,
    spawner as never,
    waits as never,
    store as never,
    log as never,
    config as never,
  );
  const run = (task: TaskJobData) => service.execute(tag, strict<Job<TaskJobData>>('job', { data: task }), 'token');
  return { run, calls };
}

describe('TaskEngine', () => {
  it('hands a wait to its wait step, without choosing an agent or looking for an operator decision', async () => {
    const { run, calls } = engine([{ kind: 'go', start: { ...start, attempt: undefined } }]);
    await expect(run(data({ kind: 'wait', durationMs: 10 }))).resolves.toEqual({ waitedMs: 5 });
    expect(calls).toEqual(['fetch a', 'wait step a']);
  });

  it('waits afresh for a signal the operator retried after its time-out', async () => {
    const { run, calls } = engine([{ kind: 'go', start: { ...start, attempt: undefined } }], { resolution: { action: 'retry' } });
    await expect(run(data({ kind: 'signal', signal: 'go', onFailure: 'ask' }))).resolves.toEqual({ waitedMs: 5 });
    expect(calls).toEqual(['fetch a', 'take resolution', 'wait step a afresh']);
  });

  it('chooses the agent of a plain task first, so that its fetch marks it running, then runs it', async () => {
    const { run, calls } = engine([{ kind: 'go', start }]);
    await expect(run(data())).resolves.toBe('out');
    expect(calls).toEqual(['choose agent', 'fetch a as researcher-1', 'run attempt 1']);
  });

  it('starts nothing in a session that ended, and marks the task cancelled', async () => {
    const { run, calls } = engine([{ kind: 'ended', status: 'cancelled' }]);
    await expect(run(data())).resolves.toBeNull();
    expect(calls).toEqual(['choose agent', 'fetch a as researcher-1', 'status a cancelled']);
  });

  it('touches nothing of a session that expired', async () => {
    const { run, calls } = engine([{ kind: 'ended' }]);
    await expect(run(data())).resolves.toBeNull();
    expect(calls).toEqual(['choose agent', 'fetch a as researcher-1']);
  });

  it('does not run a task that completed before again: it only wakes its waiters', async () => {
    const { run, calls } = engine([{ kind: 'done', output: { n: 1 } }]);
    await expect(run(data())).resolves.toEqual({ n: 1 });
    expect(calls).toEqual(['choose agent', 'fetch a as researcher-1', 'finish a completed']);
  });

  it('holds a task whose dependency has not finished, after recovering a lost write-back of it', async () => {
    const { run, calls } = engine([{ kind: 'hold' }]);
    await expect(run(data({ dependsOn: ['dep'] }))).rejects.toBeInstanceOf(DelayedError);
    expect(calls).toEqual(['choose agent', 'fetch a as researcher-1', 'recover dep', 'hold']);
  });

  it('pauses an approval without an operator decision, its agent never chosen', async () => {
    const { run, calls } = engine([{ kind: 'go', start: { ...start, attempt: undefined } }]);
    await expect(run(data({ kind: 'approval' }))).rejects.toBeInstanceOf(DelayedError);
    expect(calls).toEqual(['fetch a', 'take resolution', 'pause: operator approval']);
  });

  it("skips a task the operator skipped, and finishes one with the operator's output", async () => {
    const skipped = engine([{ kind: 'go', start }], { resolution: { action: 'skip' } });
    await expect(skipped.run(data({ onFailure: 'ask' }))).resolves.toBeNull();
    expect(skipped.calls).toEqual(['fetch a', 'take resolution', 'finish a skipped']);

    const provided = engine([{ kind: 'go', start }], { resolution: { action: 'provide', output: 'given' } });
    await expect(provided.run(data({ onFailure: 'ask' }))).resolves.toBe('given');
    expect(provided.calls).toEqual(['fetch a', 'take resolution', 'finish a completed']);
  });

  it('runs a task that may pause with no decision waiting: its agent chosen, it is fetched again, marked running', async () => {
    const { run, calls } = engine([
      { kind: 'go', start: { ...start, attempt: undefined } },
      { kind: 'go', start: { ...start, attempt: 2 } },
    ]);
    await expect(run(data({ onFailure: 'ask' }))).resolves.toBe('out');
    expect(calls).toEqual(['fetch a', 'take resolution', 'choose agent', 'fetch a as researcher-1', 'run attempt 2']);
  });

  it('finishes a task back after its subtasks with their results, without running its agent', async () => {
    const { run, calls } = engine([{ kind: 'go', start }]);
    await expect(run(data({ decomposition: { output: undefined } }))).resolves.toEqual({ sub: 1 });
    expect(calls).toEqual(['fetch a', 'finish after subtasks']);
  });
});
