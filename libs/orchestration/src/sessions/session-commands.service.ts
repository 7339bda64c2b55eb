import { Injectable } from '@nestjs/common';
import { SessionFinishedError, SessionNotFoundError, TaskNotFoundError, TaskNotPausedError } from '../errors/errors';
import { jobIds, ShardTag } from '../redis/keys';
import { ShardRouter } from '../redis/shards';
import { TaskQueues } from '../queues/task-queues.service';
import { SessionStore } from './session.store';
import { SessionTerminator } from './session-terminator.service';
import { FINISHED_SESSION_STATUSES, OPERATOR_ABORT, OperatorResolution, SessionStatus, TaskStatus } from './session.types';
import { SessionLogWriter } from '../log/session-log.writer';

export interface ResolveAnswer {
  readonly sessionId: string;
  readonly taskId: string;
  readonly action: OperatorResolution['action'];
  /**
   * The status the resolution leads the task to: `ready` (retry: it runs again), `skipped`,
   * `completed` (provide) or `failed` (abort). A skipped or provided task shows `ready` until a
   * worker takes it up and records that status (a provided output over the output limits fails it instead).
   */
  readonly taskStatus: TaskStatus;
  readonly sessionStatus: SessionStatus;
}

/** The status each resolution but `abort` leads a paused task to (see {@link ResolveAnswer.taskStatus}). */
const RESOLVED_STATUS: Record<Exclude<OperatorResolution['action'], 'abort'>, TaskStatus> = { retry: 'ready', skip: 'skipped', provide: 'completed' };

/** What the API may do to a running session. */
@Injectable()
export class SessionCommands {
  constructor(
    private readonly shards: ShardRouter,
    private readonly store: SessionStore,
    private readonly queues: TaskQueues,
    private readonly terminator: SessionTerminator,
    private readonly log: SessionLogWriter,
  ) {}

  async cancel(sessionId: string): Promise<{ sessionId: string; status: SessionStatus }> {
    return { sessionId, status: await this.terminator.cancel(this.tagOf(sessionId), sessionId) };
  }

  /**
   * An operator's answer to a paused task: `retry` runs it again, `skip` finishes it without a
   * result, `provide` finishes it with the given output, `abort` fails the session.
   */
  async resolve(sessionId: string, taskId: string, resolution: OperatorResolution): Promise<ResolveAnswer> {
    const tag = this.tagOf(sessionId);
    const status = await this.store.status(tag, sessionId);
    if (status === undefined) throw new SessionNotFoundError(sessionId);
    if (FINISHED_SESSION_STATUSES.includes(status)) throw new SessionFinishedError(sessionId, status, 'its tasks take no more input');
    const task = await this.store.taskStatus(tag, sessionId, taskId);
    if (!task) throw new TaskNotFoundError(sessionId, taskId);
    if (task.status !== 'paused') throw new TaskNotPausedError(taskId, task.status);
    this.log.write(tag, {
      level: 'info',
      source: 'orchestrator',
      sessionId,
      taskId,
      message: `operator resolved the paused task: ${resolution.action}`,
      context: { action: resolution.action },
    });
    await this.log.flush(); // written before the task can run again and log

    if (resolution.action === 'abort') {
      const message = `Task "${taskId}" was aborted by the operator`;
      await this.store.setTaskStatus(tag, sessionId, taskId, 'failed', { error: { name: OPERATOR_ABORT, message, taskId }, finished: true });
      // Its job waits in the delayed set for this answer: it leaves, as the session's other idle work does.
      await this.queues.removeIfIdle(tag, task.queue, jobIds.task(sessionId, taskId));
      await this.terminator.fail(tag, sessionId, { name: OPERATOR_ABORT, message, taskId });
      return { sessionId, taskId, action: 'abort', taskStatus: 'failed', sessionStatus: 'failed' };
    }
    await this.store.setResolution(tag, sessionId, taskId, resolution);
    await this.queues.promote(tag, task.queue, jobIds.task(sessionId, taskId));
    const sessionStatus =
      (await this.store.pausedCount(tag, sessionId)) === 0 && (await this.store.transition(tag, sessionId, ['paused'], 'running'))
        ? 'running'
        : ((await this.store.status(tag, sessionId)) ?? status);
    return { sessionId, taskId, action: resolution.action, taskStatus: RESOLVED_STATUS[resolution.action], sessionStatus };
  }

  private tagOf(sessionId: string): ShardTag {
    const tag = this.shards.tagOf(sessionId);
    if (!tag) throw new SessionNotFoundError(sessionId);
    return tag;
  }
}
