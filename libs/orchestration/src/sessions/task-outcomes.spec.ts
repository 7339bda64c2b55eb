import { Job, UnrecoverableError } from 'bullmq';
import { NoCapableAgentError, OutputTooLargeError, SessionOutputsFullError, TaskTimeoutError } from '../errors/errors';
import { TaskJobData, TaskRef } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { failureInfo, isFinalAttempt, TaskOutcomes } from './task-outcomes.service';

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
      name: 'TaskTimeoutError', message: 'Task "t" did not finish within its timeout of 10 ms', taskId: 't',
    });
    expect(failureInfo('plain')).toEqual({ name: 'Error', message: 'plain' });
  });
});

/** A fake that has only the members given, and fails on any other that is used. */
function strict<T>(name: string, members: Record<string, unknown>): T {
  return new Proxy(members, {
    get(target, property) {
      if (property in target || property === 'then') return target[property as string];
      throw new Error(`${name}.${String(property)} was used, but the test did not arrange it`);
    },
  }) as T;
}

/**
 * A write-back sent ahead of its job's completion comes back refused: the session's outputs had
 * no room left, other tasks having finished since the worker's own check. The job completed, so
 * the task fails by its policy as far as that allows.
 */
describe('TaskOutcomes.completeAhead, refused for want of room in the session\'s outputs', () => {
  const tag = '{t-0}' as ShardTag;
  const dependant: TaskRef = { id: 'next', queue: 'web_research', sole: true };
  const task = (onFailure: TaskJobData['onFailure']): TaskJobData => ({
    type: 'task', sessionId: 's-1', taskId: 'big', capabilities: ['web_research'], onFailure, kind: 'task',
    parentId: 'parent', dependsOn: [], childIds: [], dependants: [dependant],
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
    const terminator = strict('terminator', { fail: async (_tag: ShardTag, sessionId: string, error: { name: string }) => void calls.push(`fail ${sessionId} ${error.name}`) });
    const log = strict('log', { write: () => undefined, flush: async () => undefined });
    const config = strict('config', { retentionSeconds: 60 });
    const service = new TaskOutcomes(store as never, runs as never, queues as never, terminator as never, log as never, config as never, strict('redisFaults', {}) as never);
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
