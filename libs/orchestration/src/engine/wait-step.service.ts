import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import { SignalTimeoutError } from '../errors/errors';
import { SessionLogWriter } from '../log/session-log.writer';
import { TaskJobData } from '../plans/task-job';
import { TaskQueues } from '../queues/task-queues.service';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { SessionStore } from '../sessions/session.store';
import { DurableWaitingFor } from '../sessions/session.types';
import { TaskExceptions } from './exception.service';
import { waitTask } from './scripts/wait-task';
import { TaskWriteBack } from './write-back.service';

/**
 * How often a signal task's job looks at its task while it waits: the API promotes the job when
 * the signal comes, and this bounds the wait should that promotion be lost (the API died between
 * recording the signal and promoting its job).
 */
export const SIGNAL_RECHECK_MS = 5 * 60_000;

/**
 * The step of the tasks that run no agent (kinds `wait` and `signal`), once nothing they wait for
 * is unfinished. Their job spends the wait in the delayed set of the wait queue: no worker slot is
 * held, and the wait is in Redis, so it outlives every process (and Redis itself, with AOF). Each
 * time the job comes back (its time came, a signal promoted it, a recheck), wait-task.lua decides
 * in one step: the wait is over (`{ waitedMs }`), the signal came (its payload), the signal's
 * time-out came first (its `onFailure` applies), or the job goes back to the delayed set.
 */
@Injectable()
export class TaskWaits {
  private readonly logger = new Logger(TaskWaits.name);

  constructor(
    private readonly redis: RedisConnections,
    private readonly queues: TaskQueues,
    private readonly store: SessionStore,
    private readonly writeBack: TaskWriteBack,
    private readonly exceptions: TaskExceptions,
    private readonly log: SessionLogWriter,
  ) {}

  /** Runs the wait step; `restart` starts the wait afresh (an operator's retry). */
  async step(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, restart = false): Promise<unknown> {
    const task = job.data;
    const { sessionId, taskId } = task;
    const kind = task.kind === 'signal' ? 'signal' : 'wait';
    const now = new Date();
    const { wakeAt, waitingFor } = waitOf(task, now);
    const reply = await waitTask(this.redis.client, { session: keys.session(tag, sessionId), taskId, kind, now, wakeAt, waitingFor, restart });
    switch (reply.kind) {
      case 'gone':
        return null;
      case 'due': {
        const output = { waitedMs: reply.waitedMs };
        this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: 'wait over', context: output });
        await this.writeBack.finish(tag, task, { status: 'completed', output });
        return output;
      }
      case 'signal':
        this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: `signal "${task.signal}" received` });
        await this.writeBack.finish(tag, task, { status: 'completed', output: reply.payload });
        return reply.payload;
      case 'timeout':
        return this.exceptions.failed(tag, job, token, new SignalTimeoutError(taskId, task.signal ?? '', task.timeoutMs ?? reply.waitedMs), true);
      case 'park':
        return this.park(tag, job, token, reply.wakeAtMs);
    }
  }

  /**
   * Moves the job to the delayed set until its wait ends (a signal task: until its time-out or its
   * next recheck). A signal recorded while the job was still active could not promote it: it is
   * promoted here instead, as the dependency hold does.
   */
  private async park(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, wakeAtMs: number | undefined): Promise<never> {
    const task = job.data;
    const signal = task.kind === 'signal';
    const at = signal ? Math.min(wakeAtMs ?? Infinity, Date.now() + SIGNAL_RECHECK_MS) : wakeAtMs!;
    await job.moveToDelayed(at, token);
    if (signal && (await this.store.signalState(tag, task.sessionId, task.taskId)) === 'delivered') {
      await this.queues.promote(tag, job.queueName, job.id!);
    }
    this.logger.debug({ sessionId: task.sessionId, taskId: task.taskId, until: new Date(at).toISOString() }, 'task waits');
    throw new DelayedError();
  }
}

/** When a wait starting `now` ends, and what it shows it waits for. */
export function waitOf(
  task: Pick<TaskJobData, 'kind' | 'durationMs' | 'until' | 'signal' | 'timeoutMs'>,
  now: Date,
): { wakeAt?: Date; waitingFor: DurableWaitingFor } {
  if (task.kind === 'signal') {
    const wakeAt = task.timeoutMs !== undefined ? new Date(now.getTime() + task.timeoutMs) : undefined;
    return { wakeAt, waitingFor: { signal: task.signal ?? '', ...(wakeAt ? { timeoutAt: wakeAt.toISOString() } : {}) } };
  }
  const wakeAt = task.until !== undefined ? new Date(task.until) : new Date(now.getTime() + (task.durationMs ?? 0));
  return { wakeAt, waitingFor: { until: wakeAt.toISOString() } };
}
