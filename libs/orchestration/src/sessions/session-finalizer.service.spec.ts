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
      statusesOf: async () =>
        new Map([
          ['research', 'ready'],
          ['report', 'waiting'],
        ]),
      pendingCount: async () => options.pendingAfter,
    });
    const lostTasks = strict('lostTasks', {
      endFailedJobs: async (_tag: ShardTag, sessionId: string) => {
        calls.push(`endFailedJobs ${sessionId}`);
        status = options.statusAfter;
        return options.ended;
      },
    });
    const queues = strict('queues', { promote: async (_tag: ShardTag, _queue: string, id: string) => void calls.push(`promote ${id}`) });
    const config = strict('config', { lockDurationMs: 1000 });
    const service = new SessionFinalizer(
      store as never,
      strict('retention', {}) as never,
      strict('log', {}) as never,
      lostTasks as never,
      queues as never,
      config as never,
    );
    const job = strict<Job<SessionJobData>>('job', {
      id: 's-1',
      data: { sessionId: 's-1' },
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

/**
 * A session whose planning job enqueued its plan but could not write what follows (its record, the
 * move to running: Redis refused them) and whose tasks then all finished.
 */
describe("SessionFinalizer's check on a session still marked planning", () => {
  const tag = '{t-0}' as ShardTag;

  it('completes the session and its planning step, as every task has finished', async () => {
    const calls: string[] = [];
    const store = strict('store', {
      status: async () => 'planning',
      pendingIds: async () => [],
      resultInputs: async () => ({ exists: true, taskIds: ['a'], finalIds: ['a'], outputs: { a: '{"n":1}' } }),
      planning: async () => ({ status: 'running', agentId: 'planner@h:1', startedAt: '2026-12-06T13:27:44.000Z' }),
      setPlanning: async (_tag: ShardTag, _id: string, step: { status: string; agentId: string; finishedAt?: string }) =>
        void calls.push(`setPlanning ${step.status} ${step.agentId} ${step.finishedAt ? 'finished' : ''}`),
      transition: async (_tag: ShardTag, _id: string, from: string[], to: string) => (calls.push(`transition ${from.join(',')} -> ${to}`), true),
    });
    const retention = strict('retention', { expire: async () => void calls.push('expire') });
    const log = strict('log', { write: () => void calls.push('log') });
    const service = new SessionFinalizer(
      store as never,
      retention as never,
      log as never,
      strict('lostTasks', {}) as never,
      strict('queues', {}) as never,
      strict('config', {}) as never,
    );
    const job = strict<Job<SessionJobData>>('job', { id: 's-1', data: { sessionId: 's-1' } });
    await expect(service.finalize(tag, job, 'token')).resolves.toEqual({ status: 'completed', tasks: 1, completedTasks: 1 });
    expect(calls).toEqual(['setPlanning completed planner@h:1 finished', 'transition pending,planning,running,paused -> completed', 'expire', 'log']);
  });
});
