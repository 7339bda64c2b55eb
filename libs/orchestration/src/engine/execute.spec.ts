import { Job, UnrecoverableError } from 'bullmq';
import { SessionCancelledError } from '../errors/errors';
import { TaskJobData, TaskRef } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { RunAbort } from '../runtime/run-abort';
import { strict } from '../testing/strict-fake';
import { taskJobData } from '../testing/task-job-data';
import type { AgentLease } from './decode.service';
import { TaskExecute } from './execute.service';
import type { TaskStart } from './fetch.service';

const tag = '{t-0}' as ShardTag;
const start: TaskStart = { status: 'running', attempt: 3, goal: 'g', shared: { k: 1 }, dependencies: { dep: 'in' }, tenant: 'acme', outputBytes: 0 };

const data = (dependants: TaskRef[]): TaskJobData => taskJobData({ dependsOn: ['dep'], dependants });

function execute(agentRun: (task: { dependencies: unknown; attempt: number; goal?: string }) => Promise<unknown>) {
  const calls: string[] = [];
  const lease = strict<AgentLease>('lease', { agent: { descriptor: { id: 'r-1' }, run: agentRun } });
  const writeBack = strict('writeBack', {
    completeAhead: async (_tag: ShardTag, task: TaskJobData, output: unknown) => void calls.push(`completeAhead ${task.taskId} ${JSON.stringify(output)}`),
    finish: async (_tag: ShardTag, task: TaskJobData, outcome: { status: string }) => void calls.push(`finish ${task.taskId} ${outcome.status}`),
  });
  const exceptions = strict('exceptions', {
    failed: async (_tag: ShardTag, _job: Job, _token: string, error: Error, unrecoverable: boolean, attempt: number) => {
      calls.push(`failed ${error.message} unrecoverable=${unrecoverable} attempt=${attempt}`);
      throw error;
    },
  });
  const store = strict('store', {
    setTaskStatus: async (_tag: ShardTag, _s: string, taskId: string, status: string) => (calls.push(`status ${taskId} ${status}`), true),
  });
  const log = strict('log', {
    write: () => undefined,
    mirror: () => undefined,
    scripted: () => ({ key: 'log', bound: 10, json: '{}' }),
  });
  const metrics = strict('metrics', {
    taskStarted: (_tag: ShardTag, tenant: string) => void calls.push(`started ${tenant}`),
    taskRunEnded: (_tag: ShardTag, tenant: string, _capability: string, outcome: string) => void calls.push(`ended ${tenant} ${outcome}`),
  });
  const config = strict('config', { maxOutputBytes: 1000, maxSessionBytes: 1000 });
  const service = new TaskExecute(
    store as never,
    strict('state', {}) as never,
    strict('spawner', {}) as never,
    writeBack as never,
    exceptions as never,
    log as never,
    metrics as never,
    config as never,
    strict('steps', { forTask: () => async () => undefined }) as never,
    strict('streams', {
      open: () => ({
        deltas: { emit: () => undefined, flushed: async () => undefined },
        usage: { record: () => undefined, flushed: async () => undefined },
        close: () => undefined,
      }),
    }) as never,
  );
  const run = (task: TaskJobData, abort?: RunAbort) =>
    service.run(tag, strict<Job<TaskJobData>>('job', { data: task, attemptsMade: 2, opts: { attempts: 5 } }), 'token', abort, lease, start);
  return { run, calls };
}

describe('TaskExecute.run', () => {
  it("gives the agent its dependencies' results and the goal, and completes ahead when no dependant waits for others", async () => {
    const seen: unknown[] = [];
    const { run, calls } = execute(async (task) => (seen.push(task.dependencies, task.attempt, task.goal), { ok: true }));
    await expect(run(data([{ id: 'b', queue: 'web_research', sole: true }]))).resolves.toEqual({ ok: true });
    expect(seen).toEqual([{ dep: 'in' }, 3, 'g']);
    expect(calls).toEqual(['started acme', 'ended acme completed', 'completeAhead a {"ok":true}']);
  });

  it('waits for the write-back when a dependant also waits for other tasks', async () => {
    const { run, calls } = execute(async () => 'x');
    await run(data([{ id: 'b', queue: 'web_research' }]));
    expect(calls).toEqual(['started acme', 'ended acme completed', 'finish a completed']);
  });

  it("hands a failed run to the exception step, with the run's number", async () => {
    const { run, calls } = execute(async () => Promise.reject(new Error('flaky')));
    await expect(run(data([]))).rejects.toThrow('flaky');
    expect(calls).toEqual(['started acme', 'ended acme failed', 'failed flaky unrecoverable=false attempt=3']);
  });

  it('marks a run aborted by its session’s cancellation cancelled, for good', async () => {
    const abort = new RunAbort();
    const { run, calls } = execute(async () => {
      abort.abort(new SessionCancelledError('s-1'));
      throw new Error('stopped');
    });
    await expect(run(data([]), abort)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(calls).toEqual(['started acme', 'ended acme cancelled', 'status a cancelled']);
  });
});
