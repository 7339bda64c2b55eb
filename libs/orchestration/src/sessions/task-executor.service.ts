import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { SessionCancelledError, SwitchyardError } from '../errors/errors';
import { HOLD_DELAY_MS } from '../plans/flow-builder';
import { TaskJobData } from '../plans/task-job';
import { jobIds, ShardTag } from '../redis/keys';
import { TaskQueues } from '../queues/task-queues.service';
import { currentWorker } from '../runtime/worker-identity';
import { SessionStateStore } from '../state/session-state.store';
import { invokeAgent } from './agent-invoker';
import { SessionStore } from './session.store';
import { SessionTerminator } from './session-terminator.service';
import { FailureInfo, FINISHED_SESSION_STATUSES } from './session.types';
import { taskLogger } from './task-logger';

export function failureInfo(error: unknown, taskId?: string): FailureInfo {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, ...(taskId ? { taskId } : {}) };
}

/**
 * Whether a failed attempt is the last one: the error cannot be retried (by its type), or the
 * job has used its attempts. The same rule BullMQ applies, decided before BullMQ sees the error.
 */
export function isFinalAttempt(job: Job, error: unknown): boolean {
  const retryable = !(error instanceof UnrecoverableError) && !(error instanceof SwitchyardError && !error.retryable);
  return !retryable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * Runs one task job through the execution model: fetch (the job, held back while anything it
 * waits for is unfinished), decode (pick a hosted agent), execute (with its dependencies'
 * results, the shared context, a timeout and an AbortSignal), write back (output, state, wake
 * the waiters), and exceptions (retry by BullMQ, or fail the session on the last attempt).
 */
@Injectable()
export class TaskExecutor {
  private readonly logger = new Logger(TaskExecutor.name);
  private readonly worker = currentWorker();

  constructor(
    private readonly store: SessionStore,
    private readonly state: SessionStateStore,
    private readonly queues: TaskQueues,
    private readonly terminator: SessionTerminator,
    @Inject(LocalAgentPool) private readonly pool: LocalAgentPool,
  ) {}

  async execute(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, signal?: AbortSignal): Promise<unknown> {
    const task = job.data;
    const { sessionId, taskId } = task;

    const status = await this.store.status(tag, sessionId);
    if (status === undefined || FINISHED_SESSION_STATUSES.includes(status)) {
      // The session ended (or expired) while this job waited: start nothing new.
      if (status !== undefined) await this.store.setTaskStatus(tag, sessionId, taskId, 'cancelled', { finished: true });
      return null;
    }
    if (await this.holdIfWaiting(tag, job, token)) throw new DelayedError();
    if (status === 'pending') await this.store.transition(tag, sessionId, ['pending'], 'running', { startedAt: new Date().toISOString() });

    let lease: ReturnType<LocalAgentPool['acquire']>;
    try {
      lease = this.pool.acquire(taskId, { capabilities: task.capabilities, agentType: task.agentType });
    } catch (error) {
      await this.onFailure(tag, job, error, true);
      throw new UnrecoverableError((error as Error).message);
    }
    const agentId = lease.agent.descriptor.id;
    try {
      const inputFrom = [...task.dependsOn, ...task.childIds];
      const [dependencies, shared, goal] = await Promise.all([
        this.store.outputsOf(tag, sessionId, inputFrom),
        this.store.sharedContext(tag, sessionId),
        this.store.goal(tag, sessionId),
      ]);
      const attempt = job.attemptsMade + 1;
      await this.store.taskStarted(tag, sessionId, taskId, { agentId, worker: this.worker, attempt, inputFrom });
      this.logger.log({ sessionId, taskId, agentId, attempt }, 'task started');

      const output = await invokeAgent(
        lease.agent,
        { sessionId, taskId, title: task.title, capabilities: task.capabilities, input: task.input ?? null, dependencies, goal, attempt },
        {
          shared,
          state: this.state.shared(tag, sessionId),
          log: taskLogger(this.logger, { sessionId, taskId, agentId }),
          worker: this.worker,
        },
        { signal, timeoutMs: task.timeoutMs },
      );

      const waiters = [...task.dependants, ...(task.parentId ? [{ id: task.parentId, queue: '' }] : [])];
      const ready = await this.store.completeTask(tag, sessionId, taskId, output ?? null, waiters);
      // The parent is moved on by BullMQ itself once its last child's job completes.
      await Promise.all(
        ready.filter((w) => w.id !== task.parentId).map((w) => this.queues.promote(tag, w.queue, jobIds.task(sessionId, w.id))),
      );
      this.logger.log({ sessionId, taskId, agentId }, 'task completed');
      return output ?? null;
    } catch (error) {
      if (signal?.aborted && signal.reason instanceof SessionCancelledError) {
        await this.store.setTaskStatus(tag, sessionId, taskId, 'cancelled', { finished: true, error: failureInfo(signal.reason, taskId) });
        this.logger.log({ sessionId, taskId, agentId }, 'task aborted: session cancelled');
        throw new UnrecoverableError(signal.reason.message);
      }
      const final = await this.onFailure(tag, job, error, false);
      if (final && !(error instanceof UnrecoverableError)) throw new UnrecoverableError(failureInfo(error).message);
      throw error;
    } finally {
      lease.release();
    }
  }

  /**
   * A task still waiting for a dependency goes (back) to the delayed set until the resolver
   * promotes it. The count is read again after the move: a dependency that completed in between
   * tried to promote a job that was still active, so the promotion is done here instead.
   */
  private async holdIfWaiting(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined): Promise<boolean> {
    const { sessionId, taskId, dependsOn } = job.data;
    if (dependsOn.length === 0) return false;
    if ((await this.store.pendingCount(tag, sessionId, taskId)) === 0) return false;
    await job.moveToDelayed(Date.now() + HOLD_DELAY_MS, token);
    await this.store.setTaskStatus(tag, sessionId, taskId, 'waiting');
    if ((await this.store.pendingCount(tag, sessionId, taskId)) === 0) {
      await this.queues.promote(tag, job.queueName, job.id!);
    }
    return true;
  }

  /** Records a failed attempt; on the last one applies the failure policy. Answers whether it was the last. */
  private async onFailure(tag: ShardTag, job: Job<TaskJobData>, error: unknown, unrecoverable: boolean): Promise<boolean> {
    const { sessionId, taskId } = job.data;
    const final = unrecoverable || isFinalAttempt(job, error);
    const info = failureInfo(error, taskId);
    this.logger.warn({ sessionId, taskId, attempt: job.attemptsMade + 1, final, error: info.message }, 'task attempt failed');
    if (!final) {
      await this.store.setTaskStatus(tag, sessionId, taskId, 'ready', { error: info });
      return false;
    }
    await this.store.setTaskStatus(tag, sessionId, taskId, 'failed', { error: info, finished: true });
    await this.terminator.fail(tag, sessionId, { ...info, message: `Task "${taskId}" failed: ${info.message}` });
    return true;
  }
}
