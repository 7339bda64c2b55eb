import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { OutputTooLargeError, SessionOutputsFullError, TaskJobFailedError } from '../errors/errors';
import { FailureInfo, failureInfo, isFinalAttempt } from '../errors/failure-info';
import { SessionLogWriter } from '../log/session-log.writer';
import { HOLD_DELAY_MS } from '../plans/flow-builder';
import { queueOfTask, TaskJobData } from '../plans/task-job';
import { TaskQueues } from '../queues/task-queues.service';
import { RedisFaultRetry } from '../queues/redis-fault-retry.service';
import { jobIds, ShardTag } from '../redis/keys';
import { SessionStore } from '../sessions/session.store';
import { BudgetExceeded, budgetFailure } from '../sessions/budget';
import { SessionTerminator } from '../sessions/session-terminator.service';
import { TaskStatus } from '../sessions/session.types';
import { TaskWriteBack } from './write-back.service';

/** A task's statuses before it finished, other than paused (whose job waits in the delayed set for an operator). */
const UNFINISHED_TASK: ReadonlySet<TaskStatus> = new Set(['ready', 'waiting', 'running']);

/**
 * The exception step: a failed attempt is retried (by BullMQ, with backoff) while attempts
 * remain; on the last one the task's failure policy applies — `fail` fails the session,
 * `continue` lets its waiters run without it, `ask` pauses it for an operator.
 */
@Injectable()
export class TaskExceptions {
  private readonly logger = new Logger(TaskExceptions.name);

  constructor(
    private readonly store: SessionStore,
    private readonly writeBack: TaskWriteBack,
    private readonly queues: TaskQueues,
    private readonly terminator: SessionTerminator,
    private readonly log: SessionLogWriter,
    private readonly redisFaults: RedisFaultRetry,
  ) {}

  /**
   * The session reached a limit of its budget (at `taskId`'s start or with its model usage): it
   * fails with `budget_exceeded`, and its running tasks are aborted on every worker.
   */
  async overBudget(tag: ShardTag, sessionId: string, exceeded: BudgetExceeded, taskId?: string): Promise<void> {
    await this.terminator.fail(tag, sessionId, budgetFailure(exceeded, taskId), { abortRunning: true });
  }

  /**
   * Applies a failed attempt. Always throws what BullMQ must see. `attempt` is the run's number as
   * its session counts runs (retries by an operator included), which the log gives; without it,
   * BullMQ's.
   */
  async failed(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, error: unknown, unrecoverable = false, attempt?: number): Promise<never> {
    const task = job.data;
    const { sessionId, taskId } = task;
    // Redis's failure, not the task's: the job waits for Redis (see RedisFaultRetry, in WorkerHost).
    if (!unrecoverable && this.redisFaults.waits(job, error)) throw error;
    const final = unrecoverable || isFinalAttempt(job, error);
    const info = failureInfo(error, taskId);
    const context = { attempt: attempt ?? job.attemptsMade + 1, final, policy: task.onFailure, error: info.message, errorName: info.name };
    if (!final) {
      this.log.write(tag, { level: 'warn', source: 'task', sessionId, taskId, message: 'task attempt failed; it will be retried', context }, this.logger);
      await this.store.setTaskStatus(tag, sessionId, taskId, 'ready', { error: info });
      throw error;
    }
    this.log.write(tag, { level: 'error', source: 'task', sessionId, taskId, message: 'task failed', context }, this.logger);
    if (task.onFailure === 'ask') return this.pause(tag, job, token, `operator input: the task failed (${info.message})`, info);
    await this.endFailed(tag, task, info);
    throw error instanceof UnrecoverableError ? error : new UnrecoverableError(info.message);
  }

  /**
   * Runs `finishing`, a task's completion outside its agent's run (with an operator's output, or
   * its subtasks'): an output over a limit fails the task by its policy, as a failed run would.
   */
  async failingOverLimits(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, finishing: () => Promise<unknown>): Promise<unknown> {
    try {
      return await finishing();
    } catch (error) {
      if (error instanceof OutputTooLargeError || error instanceof SessionOutputsFullError) return this.failed(tag, job, token, error);
      throw error;
    }
  }

  /**
   * Pauses the task until an operator resolves it: its job waits in the delayed set (its branch
   * waits with it, other branches go on) and the session shows as paused.
   */
  async pause(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, reason: string, error?: FailureInfo): Promise<never> {
    const { sessionId, taskId } = job.data;
    await job.moveToDelayed(Date.now() + HOLD_DELAY_MS, token);
    // The session first: an operator who sees the task paused can resolve it at once, and the
    // resolve moves a paused session back to running; the other way round, it could find the
    // session still running and leave it paused behind the task.
    await this.store.transition(tag, sessionId, ['running'], 'paused');
    await this.store.setTaskStatus(tag, sessionId, taskId, 'paused', { waitingFor: reason, ...(error ? { error } : {}) });
    this.log.write(tag, { level: 'warn', source: 'task', sessionId, taskId, message: 'task paused for operator input', context: { reason } }, this.logger);
    throw new DelayedError();
  }

  /**
   * Ends by their failure policy the session's unfinished tasks (ready, waiting or running) whose
   * job failed for good without the task recording it: Redis refused the failure's record, or the
   * job stalled too often. Nothing else would: their waiters, and the session's root job, would
   * wait for ever. Answers how many it ended. (The session's root job checks so, see
   * SessionFinalizer.)
   */
  async endFailedJobs(tag: ShardTag, sessionId: string): Promise<number> {
    const view = await this.store.view(tag, sessionId);
    const unfinished = (view?.tasks ?? []).filter((t) => UNFINISHED_TASK.has(t.status));
    const queueOf = (task: { kind?: string; capabilities: string[] }) => this.queues.queue(tag, queueOfTask(task));
    // Their jobs' states first: only a failed one's job (with its data) is read.
    const states = await Promise.all(unfinished.map((t) => queueOf(t).getJobState(jobIds.task(sessionId, t.id))));
    let ended = 0;
    for (const [i, task] of unfinished.entries()) {
      if (states[i] !== 'failed') continue;
      const job = await queueOf(task).getJob(jobIds.task(sessionId, task.id));
      if (!job) continue;
      const { taskId } = job.data as TaskJobData;
      const context = { reason: job.failedReason };
      const message = 'task found failed in its queue: its failure policy applies';
      this.log.write(tag, { level: 'warn', source: 'task', sessionId, taskId, message, context }, this.logger);
      await this.endWithoutJob(tag, job.data as TaskJobData, new TaskJobFailedError(taskId, job.failedReason));
      ended++;
    }
    return ended;
  }

  /**
   * A task whose job finished without it: its job completed but the write-back refused its output
   * (the session's outputs have no room for it), or its job failed without the failure being
   * recorded. The task fails: with `continue` its waiters run without it; otherwise, `ask`
   * included (a finished job cannot pause), its session fails.
   */
  async endWithoutJob(tag: ShardTag, task: TaskJobData, error: SessionOutputsFullError | TaskJobFailedError): Promise<void> {
    const { sessionId, taskId } = task;
    const info = failureInfo(error, taskId);
    const context = { final: true, policy: task.onFailure, error: info.message, errorName: info.name };
    this.log.write(tag, { level: 'error', source: 'task', sessionId, taskId, message: 'task failed', context }, this.logger);
    await this.endFailed(tag, task, info).catch((failure: Error) =>
      this.logger.error({ sessionId, taskId, error: failure.message }, 'could not record the failure of a task whose job finished without it'),
    );
  }

  /** Records a task failed for good: with `continue` its waiters run without it, else its session fails. */
  private async endFailed(tag: ShardTag, task: TaskJobData, info: FailureInfo): Promise<void> {
    const { sessionId, taskId } = task;
    if (task.onFailure === 'continue') {
      this.log.write(tag, { level: 'warn', source: 'task', sessionId, taskId, message: 'continuing without the failed task (onFailure: continue)' });
      await this.store.setTaskStatus(tag, sessionId, taskId, 'failed', { error: info });
      await this.writeBack.finish(tag, task, { status: 'failed' });
      return;
    }
    await this.store.setTaskStatus(tag, sessionId, taskId, 'failed', { error: info, finished: true });
    await this.terminator.fail(tag, sessionId, { ...info, message: `Task "${taskId}" failed: ${info.message}` });
  }
}
