import { SessionOutputsFullError } from '../errors/errors';
import { TaskJobData, TaskRef } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { strict } from '../testing/strict-fake';
import { taskJobData } from '../testing/task-job-data';
import { wireWriteBack } from './write-back.fixture';

/**
 * A write-back sent ahead of its job's completion comes back refused: the session's outputs had
 * no room left, other tasks having finished since the worker's own check. The job completed, so
 * the task fails by its policy as far as that allows.
 */
describe("TaskWriteBack.completeAhead, refused for want of room in the session's outputs", () => {
  const tag = '{t-0}' as ShardTag;
  const dependant: TaskRef = { id: 'next', queue: 'web_research', sole: true };
  const task = (onFailure: TaskJobData['onFailure']): TaskJobData => taskJobData({ taskId: 'big', onFailure, parentId: 'parent', dependants: [dependant] });

  function outcomes() {
    const calls: string[] = [];
    const refusal = new SessionOutputsFullError('s-1', 'big', 600, 500, 1000);
    const runs = strict('runs', {
      completedWrite: () => ({
        call: {},
        ready: () => {
          throw refusal;
        },
      }),
      finishAndPromote: async () => ({ finishes: [{ refused: true, heldBytes: 500 }], promoted: [true] }),
      finishTask: async (_tag: ShardTag, _s: string, taskId: string, outcome: { status: string }) => {
        calls.push(`finishTask ${taskId} ${outcome.status}`);
        return [dependant];
      },
    });
    const queues = strict('queues', {
      promotions: async () => ({}),
      promote: async (_tag: ShardTag, _queue: string, jobId: string) => void calls.push(`promote ${jobId}`),
    });
    const store = strict('store', {
      setTaskStatus: async (_tag: ShardTag, _s: string, taskId: string, status: string, extra: { error?: { name: string } }) =>
        void calls.push(`setTaskStatus ${taskId} ${status} ${extra.error?.name}`),
    });
    const terminator = strict('terminator', {
      fail: async (_tag: ShardTag, sessionId: string, error: { name: string }) => void calls.push(`fail ${sessionId} ${error.name}`),
    });
    const { writeBack, exceptions } = wireWriteBack({ runs, queues, terminator, store });
    const complete = (task: TaskJobData, output: unknown) => writeBack.completeAhead(tag, task, output, (error) => exceptions.endWithoutJob(tag, task, error));
    /** What followed the refusal, once its handling (which nothing awaits) settled. */
    const after = async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return calls;
    };
    return { complete, after };
  }

  it('continue: the task fails and its waiters run without it', async () => {
    const { complete, after } = outcomes();
    await complete(task('continue'), 'x'.repeat(598));
    expect(await after()).toEqual(['setTaskStatus big failed SessionOutputsFullError', 'finishTask big failed', 'promote s-1.t.next']);
  });

  it.each(['fail', 'ask'] as const)('%s: the task fails and so does its session (a completed job cannot pause)', async (policy) => {
    const { complete, after } = outcomes();
    await complete(task(policy), 'x'.repeat(598));
    expect(await after()).toEqual(['setTaskStatus big failed SessionOutputsFullError', 'fail s-1 SessionOutputsFullError']);
  });
});
