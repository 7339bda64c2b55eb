import { Job, UnrecoverableError } from 'bullmq';
import { NoCapableAgentError, OutputTooLargeError, SessionOutputsFullError, TaskTimeoutError } from '../errors/errors';
import { TaskJobData, TaskRef } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { failureInfo, isFinalAttempt, TaskOutcomes } from './task-outcomes.service';
import { strict } from '../testing/strict-fake';

const job = (attemptsMade: number, attempts?: number) => ({ attemptsMade, opts: { attempts } }) as unknown as Job;

describe('isFinalAttempt', () => {
  it('retries a plain error or a retryable Switchyard error while attempts remain', () => {
    expect(isFinalAttempt(job(0, 3), new Error('flaky'))).toBe(false);
    expect(isFinalAttempt(job(1, 3), new TaskTimeoutError('t', 10))).toBe(false);
    expect(isFinalAttempt(job(2, 3), new Error('flaky'))).toBe(true);
  });

  it('treats one attempt as the default', () => {
    expect(isFinalAttempt(job(0), new Error('x'))).toBe(true);
  });

  it('never retries what cannot succeed again, by its type', () => {
    expect(isFinalAttempt(job(0, 5), new NoCapableAgentError('t', ['web_research']))).toBe(true);
    expect(isFinalAttempt(job(0, 5), new UnrecoverableError('no'))).toBe(true);
    expect(isFinalAttempt(job(0, 5), new OutputTooLargeError('t', 2048, 1024))).toBe(true);
    expect(isFinalAttempt(job(0, 5), new SessionOutputsFullError('s', 't', 2048, 0, 1024))).toBe(true);
  });
});

describe('failureInfo', () => {
  it('keeps the name and message, and names the task', () => {
    expect(failureInfo(new TaskTimeoutError('t', 10), 't')).toEqual({
      name: 'TaskTimeoutError',
      message: 'Task "t" did not finish within its timeout of 10 ms',
      taskId: 't',
    });
    expect(failureInfo('plain')).toEqual({ name: 'Error', message: 'plain' });
  });
});

/**
 * A write-back sent ahead of its job's completion comes back refused: the session's outputs had
 * no room left, other tasks having finished since the worker's own check. The job completed, so
 * the task fails by its policy as far as that allows.
 */
describe("TaskOutcomes.completeAhead, refused for want of room in the session's outputs", () => {
  const tag = '{t-0}' as ShardTag;
  const dependant: TaskRef = { id: 'next', queue: 'web_research', sole: true };
  const task = (onFailure: TaskJobData['onFailure']): TaskJobData => ({
    type: 'task',
    sessionId: 's-1',
    taskId: 'big',
    capabilities: ['web_research'],
    onFailure,
    kind: 'task',
    parentId: 'parent',
    dependsOn: [],
    childIds: [],
    dependants: [dependant],
  });

  function outcomes() {
    const calls: string[] = [];
    const refusal = new SessionOutputsFullError('s-1', 'big', 600, 500, 1000);
    const runs = strict('runs', {
      finishAhead: () => ({ sent: Promise.resolve(), ready: Promise.reject(refusal) }),
      finishTask: async (_tag: ShardTag, _s: string, taskId: string, outcome: { status: string }) => {
        calls.push(`finishTask ${taskId} ${outcome.status}`);
        return [dependant];
      },
    });
    const queues = strict('queues', {
      promoteNow: async (_tag: ShardTag, _queue: string, jobId: string) => void calls.push(`promoteNow ${jobId}`),
      promote: async (_tag: ShardTag, _queue: string, jobId: string) => void calls.push(`promote ${jobId}`),
    });
    const store = strict('store', {
      setTaskStatus: async (_tag: ShardTag, _s: string, taskId: string, status: string, extra: { error?: { name: string } }) =>
        void calls.push(`setTaskStatus ${taskId} ${status} ${extra.error?.name}`),
    });
    const terminator = strict('terminator', {
      fail: async (_tag: ShardTag, sessionId: string, error: { name: string }) => void calls.push(`fail ${sessionId} ${error.name}`),
    });
    const log = strict('log', { write: () => undefined, flush: async () => undefined });
    const config = strict('config', { retentionSeconds: 60 });
    const service = new TaskOutcomes(
      store as never,
      runs as never,
      queues as never,
      terminator as never,
      log as never,
      config as never,
      strict('redisFaults', {}) as never,
    );
    /**
     * What followed the refusal, once its handling (which nothing awaits) settled; the dependant's
     * early promotion, sent before the answer came, aside.
     */
    const after = async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(calls).toContain('promoteNow s-1.t.next');
      return calls.filter((call) => !call.startsWith('promoteNow'));
    };
    return { service, after };
  }

  it('continue: the task fails and its waiters run without it', async () => {
    const { service, after } = outcomes();
    await service.completeAhead(tag, task('continue'), 'x'.repeat(598));
    expect(await after()).toEqual(['setTaskStatus big failed SessionOutputsFullError', 'finishTask big failed', 'promote s-1.t.next']);
  });

  it.each(['fail', 'ask'] as const)('%s: the task fails and so does its session (a completed job cannot pause)', async (policy) => {
    const { service, after } = outcomes();
    await service.completeAhead(tag, task(policy), 'x'.repeat(598));
    expect(await after()).toEqual(['setTaskStatus big failed SessionOutputsFullError', 'fail s-1 SessionOutputsFullError']);
  });
});

/**
 * The session's root job checks for tasks that still show unfinished while their job failed for
 * good (its failure never recorded: Redis refused it): their failure policy applies.
 */
describe('TaskOutcomes.endFailedJobs', () => {
  const tag = '{t-0}' as ShardTag;
  const data = (taskId: string, onFailure: TaskJobData['onFailure']): TaskJobData => ({
    type: 'task',
    sessionId: 's-1',
    taskId,
    capabilities: ['web_research'],
    onFailure,
    kind: 'task',
    parentId: null,
    dependsOn: [],
    childIds: [],
    dependants: [],
  });

  function outcomes(tasks: { id: string; status: string; job?: { state: string; onFailure?: TaskJobData['onFailure'] } }[]) {
    const calls: string[] = [];
    const jobs = new Map(
      tasks
        .filter((t) => t.job)
        .map((t) => [
          `s-1.t.${t.id}`,
          {
            state: t.job!.state,
            job: strict('job', { data: data(t.id, t.job!.onFailure ?? 'fail'), failedReason: "OOM command not allowed when used memory > 'maxmemory'." }),
          },
        ]),
    );
    const store = strict('store', {
      view: async () => ({ tasks: tasks.map((t) => ({ id: t.id, status: t.status, capabilities: ['web_research'] })) }),
      setTaskStatus: async (_tag: ShardTag, _s: string, taskId: string, status: string, extra: { error?: { name: string } }) =>
        void calls.push(`setTaskStatus ${taskId} ${status} ${extra.error?.name}`),
    });
    const looked: string[] = [];
    const queues = strict('queues', {
      queue: (_tag: ShardTag, name: string) =>
        strict('queue', {
          getJobState: async (id: string) => (looked.push(`${name}:${id}`), jobs.get(id)?.state ?? 'unknown'),
          getJob: async (id: string) => jobs.get(id)?.job,
        }),
      promote: async (_tag: ShardTag, _queue: string, jobId: string) => void calls.push(`promote ${jobId}`),
    });
    const runs = strict('runs', {
      finishTask: async (_tag: ShardTag, _s: string, taskId: string, outcome: { status: string }) => (calls.push(`finishTask ${taskId} ${outcome.status}`), []),
    });
    const terminator = strict('terminator', {
      fail: async (_tag: ShardTag, sessionId: string, error: { name: string }) => void calls.push(`fail ${sessionId} ${error.name}`),
    });
    const log = strict('log', { write: () => undefined, flush: async () => undefined });
    const config = strict('config', { retentionSeconds: 60 });
    const service = new TaskOutcomes(
      store as never,
      runs as never,
      queues as never,
      terminator as never,
      log as never,
      config as never,
      strict('redisFaults', {}) as never,
    );
    return { service, calls, looked };
  }

  it('fails a ready, waiting or running task whose job failed by its policy: continue lets its waiters run without it', async () => {
    const { service, calls } = outcomes([{ id: 'a', status: 'ready', job: { state: 'failed', onFailure: 'continue' } }]);
    expect(await service.endFailedJobs(tag, 's-1')).toBe(1);
    expect(calls).toEqual(['setTaskStatus a failed TaskJobFailedError', 'finishTask a failed']);
  });

  it.each(['ready', 'waiting', 'running'])('fail and ask: a %s task whose job failed fails its session (a failed job cannot pause)', async (status) => {
    for (const policy of ['fail', 'ask'] as const) {
      const { service, calls } = outcomes([{ id: 'a', status, job: { state: 'failed', onFailure: policy } }]);
      expect(await service.endFailedJobs(tag, 's-1')).toBe(1);
      expect(calls).toEqual(['setTaskStatus a failed TaskJobFailedError', 'fail s-1 TaskJobFailedError']);
    }
  });

  it('leaves alone tasks whose job is still on its way, and does not look at finished or paused tasks', async () => {
    const { service, calls, looked } = outcomes([
      { id: 'held', status: 'waiting', job: { state: 'delayed' } },
      { id: 'queued', status: 'ready', job: { state: 'waiting' } },
      { id: 'running', status: 'running', job: { state: 'active' } },
      { id: 'done', status: 'completed', job: { state: 'failed' } },
      { id: 'failed', status: 'failed', job: { state: 'failed' } },
      { id: 'paused', status: 'paused', job: { state: 'delayed' } },
    ]);
    expect(await service.endFailedJobs(tag, 's-1')).toBe(0);
    expect(calls).toEqual([]);
    expect(looked).toEqual(['web_research:s-1.t.held', 'web_research:s-1.t.queued', 'web_research:s-1.t.running']);
  });
});

describe("TaskOutcomes.failed, for a failure that is Redis's", () => {
  it('records nothing and passes the error on, for the job to wait for Redis without spending an attempt', async () => {
    const error = new Error('Redis refused it');
    const waited: unknown[] = [];
    const redisFaults = strict('redisFaults', { waits: (_job: unknown, e: unknown) => (waited.push(e), true) });
    const none = (name: string) => strict(name, {});
    const service = new TaskOutcomes(
      none('store') as never,
      none('runs') as never,
      none('queues') as never,
      none('terminator') as never,
      none('log') as never,
      none('config') as never,
      redisFaults as never,
    );
    const failing = { data: { sessionId: 's-1', taskId: 'a', onFailure: 'fail' }, attemptsMade: 2, opts: { attempts: 3 } } as unknown as Job<TaskJobData>;
    await expect(service.failed('{t-0}' as ShardTag, failing, 'token', error)).rejects.toBe(error);
    expect(waited).toEqual([error]);
  });
});
