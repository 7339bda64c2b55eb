import { DelayedError, Job } from 'bullmq';
import { TaskJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { strict } from '../testing/strict-fake';
import { taskJobData } from '../testing/task-job-data';
import { TaskExceptions } from './exception.service';
import { wireWriteBack } from './write-back.fixture';

/**
 * The session's root job checks for tasks that still show unfinished while their job failed for
 * good (its failure never recorded: Redis refused it): their failure policy applies.
 */
describe('TaskExceptions.endFailedJobs', () => {
  const tag = '{t-0}' as ShardTag;
  const data = (taskId: string, onFailure: TaskJobData['onFailure']): TaskJobData => taskJobData({ taskId, onFailure });

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
    const { exceptions: service } = wireWriteBack({ runs, queues, terminator, store });
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

describe("TaskExceptions.failed, for a failure that is Redis's", () => {
  it('records nothing and passes the error on, for the job to wait for Redis without spending an attempt', async () => {
    const error = new Error('Redis refused it');
    const waited: unknown[] = [];
    const redisFaults = strict('redisFaults', { waits: (_job: unknown, e: unknown) => (waited.push(e), true) });
    const none = (name: string) => strict(name, {});
    const service = new TaskExceptions(
      none('store') as never,
      none('writeBack') as never,
      none('queues') as never,
      none('terminator') as never,
      none('log') as never,
      redisFaults as never,
    );
    const failing = { data: { sessionId: 's-1', taskId: 'a', onFailure: 'fail' }, attemptsMade: 2, opts: { attempts: 3 } } as unknown as Job<TaskJobData>;
    await expect(service.failed('{t-0}' as ShardTag, failing, 'token', error)).rejects.toBe(error);
    expect(waited).toEqual([error]);
  });
});

describe('TaskExceptions.pause', () => {
  it('moves the job to the delayed set, then the session to paused, and only then shows the task paused', async () => {
    const calls: string[] = [];
    const store = strict('store', {
      transition: async (_tag: ShardTag, _s: string, from: string[], to: string) => (calls.push(`transition ${from.join(',')} -> ${to}`), true),
      setTaskStatus: async (_tag: ShardTag, _s: string, taskId: string, status: string) => (calls.push(`setTaskStatus ${taskId} ${status}`), true),
    });
    const log = strict('log', { write: () => undefined });
    const none = (name: string) => strict(name, {});
    const service = new TaskExceptions(
      store as never,
      none('writeBack') as never,
      none('queues') as never,
      none('terminator') as never,
      log as never,
      none('redisFaults') as never,
    );
    const job = strict<Job<TaskJobData>>('job', {
      data: taskJobData({ taskId: 'review', kind: 'approval' }),
      moveToDelayed: async () => void calls.push('moveToDelayed'),
    });
    await expect(service.pause('{t-0}' as ShardTag, job, 'token', 'operator approval')).rejects.toBeInstanceOf(DelayedError);
    // The other way round, an operator who resolved the task as soon as it showed paused could
    // find the session still running, and the session would stay paused after the task went on.
    expect(calls).toEqual(['moveToDelayed', 'transition running -> paused', 'setTaskStatus review paused']);
  });
});
