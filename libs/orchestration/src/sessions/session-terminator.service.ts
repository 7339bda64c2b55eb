import { Injectable, Logger } from '@nestjs/common';
import { SessionFinishedError, SessionNotFoundError } from '../errors/errors';
import { jobIds, keys, SESSION_QUEUE, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { TaskQueues } from '../queues/task-queues.service';
import { PLANNING_CAPABILITY } from './planning-capability';
import { queueOfTask } from '../plans/task-job';
import { SessionStore } from './session.store';
import { SessionRetention } from './session-retention.service';
import { FailureInfo, OPERATOR_ABORT, SessionStatus } from './session.types';
import { SessionLogWriter } from '../log/session-log.writer';
import { SessionLogLevel } from '../log/log-entry';
import { IDLE_TASK_STATUSES } from './scripts/end-session';

const UNFINISHED: readonly SessionStatus[] = ['pending', 'planning', 'running', 'paused'];
/** Statuses of tasks that have not started: those scripts/end-session.lua cancels. */
const IDLE_TASK: ReadonlySet<string> = new Set(IDLE_TASK_STATUSES);

/**
 * How severe a session's failure is: an operator's abort is a decision, so a warning (as a
 * cancellation is); anything else is an error of the work. A failed session is never fatal: the
 * process that logs it goes on.
 */
function failureLevel(error: FailureInfo): SessionLogLevel {
  return error.name === OPERATOR_ABORT ? 'warn' : 'error';
}

/**
 * Ends sessions that cannot or must not go on: records why, removes their work that has not
 * started from the queues, and gives their keys the retention period as time to live.
 */
@Injectable()
export class SessionTerminator {
  private readonly logger = new Logger(SessionTerminator.name);

  constructor(
    private readonly store: SessionStore,
    private readonly queues: TaskQueues,
    private readonly redis: RedisConnections,
    private readonly retention: SessionRetention,
    private readonly log: SessionLogWriter,
  ) {}

  /**
   * Fails the session (once: later calls change nothing). Tasks that had not started are marked
   * cancelled and their jobs removed; running ones finish, and their results are kept, but they
   * start nothing new; with `abortRunning` (a budget reached) their workers abort them as for a
   * cancel.
   */
  async fail(tag: ShardTag, sessionId: string, error: FailureInfo, options: { abortRunning?: boolean } = {}): Promise<boolean> {
    const cancelled = await this.store.end(tag, sessionId, UNFINISHED, 'failed', {
      error: JSON.stringify(error),
      finishedAt: new Date().toISOString(),
    });
    if (!cancelled) return false;
    if (options.abortRunning) await this.redis.client.publish(keys.cancellations(tag), sessionId);
    this.log.write(
      tag,
      {
        level: failureLevel(error),
        source: 'orchestrator',
        sessionId,
        taskId: error.taskId,
        message: 'session failed',
        context: { error: error.message, errorName: error.name },
      },
      this.logger,
    );
    await this.removeIdleWork(tag, sessionId, cancelled);
    // The root job too: held until its tasks are done, it would otherwise come back for checks
    // that find the session ended.
    await this.queues.removeIfIdle(tag, SESSION_QUEUE, jobIds.root(sessionId));
    await this.retention.expire(tag, sessionId);
    return true;
  }

  /**
   * Cancels a session: nothing more starts, work that has not started leaves its queues, and the
   * workers abort the AbortSignal of its running tasks. Cancelling a cancelled session again is
   * fine; cancelling a completed or failed one is a {@link SessionFinishedError}.
   */
  async cancel(tag: ShardTag, sessionId: string): Promise<SessionStatus> {
    const cancelled = await this.store.end(tag, sessionId, UNFINISHED, 'cancelled', {
      finishedAt: new Date().toISOString(),
    });
    if (!cancelled) {
      const status = await this.store.status(tag, sessionId);
      if (status === undefined) throw new SessionNotFoundError(sessionId);
      if (status !== 'cancelled') throw new SessionFinishedError(sessionId, status);
      return status;
    }
    await this.redis.client.publish(keys.cancellations(tag), sessionId);
    this.log.write(tag, { level: 'warn', source: 'orchestrator', sessionId, message: 'session cancelled' }, this.logger);
    await this.queues.removeIfIdle(tag, PLANNING_CAPABILITY, jobIds.plan(sessionId));
    await this.removeIdleWork(tag, sessionId, cancelled);
    await this.queues.removeIfIdle(tag, SESSION_QUEUE, jobIds.root(sessionId));
    await this.retention.expire(tag, sessionId);
    return 'cancelled';
  }

  /**
   * Removes from their queues the jobs of the tasks the session's end cancelled (in plan order, so
   * a parent leaves its queue before its children do), and cancels any task that had not started
   * and was added since (a subtask spawned as the session ended).
   */
  private async removeIdleWork(tag: ShardTag, sessionId: string, cancelled: readonly string[]): Promise<void> {
    const view = await this.store.view(tag, sessionId);
    if (!view) return;
    const ended = new Set(cancelled);
    for (const task of view.tasks.filter((t) => ended.has(t.id) || IDLE_TASK.has(t.status))) {
      this.log.write(tag, {
        level: 'info',
        source: 'orchestrator',
        sessionId,
        taskId: task.id,
        message: 'task cancelled before it started',
      });
      await this.queues.removeIfIdle(tag, queueOfTask(task), jobIds.task(sessionId, task.id));
      if (!ended.has(task.id)) await this.store.setTaskStatus(tag, sessionId, task.id, 'cancelled', { finished: true });
    }
  }
}
