import { DelayedError, Job } from 'bullmq';
import { SessionJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { SessionFinalizer } from './session-finalizer.service';
import { strict } from '../testing/strict-fake';

/**
 * The root job's check on a session whose top-level tasks are still pending: besides recording
 * lost write-backs, it has the tasks whose job failed unrecorded ended by their policy.
 */
describe("SessionFinalizer's check on a session still pending", () => {
  const tag = '{t-0}' as ShardTag;

  function finalizer(options: { ended: number; statusAfter: string; pendingAfter: number }) {
    const calls: string[] = [];
    let status = 'running';
    const store = strict('store', {
      status: async () => status,
      pendingIds: async () => ['research', 'report'],
      statusesOf: async () => new Map([['research', 'ready'], ['report', 'waiting']]),
      pendingCount: async () => options.pendingAfter,
    });
    const outcomes = strict('outcomes', {
      endFailedJobs: async (_tag: ShardTag, sessionId: string) => {
        calls.push(`endFailedJobs ${sessionId}`);
        status = options.statusAfter;
        return options.ended;
      },
    });
    const queues = strict('queues', { promote: async (_tag: ShardTag, _queue: string, id: string) => void calls.push(`promote ${id}`) });
    const config = strict('config', { lockDurationMs: 1000 });
    const service = new SessionFinalizer(store as never, strict('retention', {}) as never, strict('log', {}) as never, outcomes as never, queues as never, config as never);
    const job = strict<Job<SessionJobData>>('job', {
      id: 's-1', data: { sessionId: 's-1' },
      updateData: async (data: SessionJobData) => void calls.push(`updateData checks=${data.checks}`),
      moveToDelayed: async () => void calls.push('moveToDelayed'),
    });
    return { service, job, calls };
  }

  it('finishes at once when a task whose job failed failed its session', async () => {
    const { service, job, calls } = finalizer({ ended: 1, statusAfter: 'failed', pendingAfter: 2 });
    await expect(service.finalize(tag, job, 'token')).resolves.toBeNull();
    expect(calls).toEqual(['endFailedJobs s-1']);
  });

  it('waits again while tasks are pending and none was found failed in its queue', async () => {
    const { service, job, calls } = finalizer({ ended: 0, statusAfter: 'running', pendingAfter: 2 });
    await expect(service.finalize(tag, job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(calls).toEqual(['endFailedJobs s-1', 'updateData checks=1', 'moveToDelayed']);
  });

  it('waits again, for the waiters it woke, when a task ended under `continue`', async () => {
    const { service, job, calls } = finalizer({ ended: 1, statusAfter: 'running', pendingAfter: 1 });
    await expect(service.finalize(tag, job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(calls).toEqual(['endFailedJobs s-1', 'updateData checks=1', 'moveToDelayed']);
  });
});
