import { Injectable } from '@nestjs/common';
import {
  SessionFinishedError,
  SessionNotFoundError,
  SignalDeliveredError,
  SignalNotAwaitedError,
  TaskNotFoundError,
  TaskNotPausedError,
} from '../errors/errors';
import { jobIds, ShardTag, WAIT_QUEUE } from '../redis/keys';
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

/** A signal's delivery: the task that received it, which its job now completes with the payload. */
export interface SignalAnswer {
  readonly sessionId: string;
  readonly signal: string;
  readonly taskId: string;
  /** `ready`: its job was promoted and completes the task with the payload in a moment. */
  readonly taskStatus: TaskStatus;
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

  /**
   * Delivers a signal: the session's task of kind `signal` that waits for `signal` completes with
   * `payload` as its output. Once: deliver-signal.lua records it in one step, so of two signals
   * that arrive together one is delivered and the other finds it delivered (a 409). No task
   * waiting for it (none has the name, or it has not started waiting, or timed out) is a 404.
   */
  async signal(sessionId: string, signal: string, payload: unknown): Promise<SignalAnswer> {
    const tag = this.tagOf(sessionId);
    const reply = await this.store.deliverSignal(tag, sessionId, signal, payload);
    switch (reply.kind) {
      case 'missing':
        throw new SessionNotFoundError(sessionId);
      case 'finished':
        throw new SessionFinishedError(sessionId, reply.status, 'it takes no more signals');
      case 'again':
        throw new SignalDeliveredError(sessionId, signal, reply.taskId);
      case 'unawaited':
        throw new SignalNotAwaitedError(sessionId, signal);
      case 'delivered':
        break;
    }
    const { taskId } = reply;
    this.log.write(tag, { level: 'info', source: 'orchestrator', sessionId, taskId, message: `signal "${signal}" delivered`, context: { signal } });
    void this.log.flush();
    // Its job waits in the delayed set of the wait queue: it completes the task now.
    await this.queues.promote(tag, WAIT_QUEUE, jobIds.task(sessionId, taskId));
    return { sessionId, signal, taskId, taskStatus: 'ready' };
  }

  private tagOf(sessionId: string): ShardTag {
    const tag = this.shards.tagOf(sessionId);
    if (!tag) throw new SessionNotFoundError(sessionId);
    return tag;
  }
}
