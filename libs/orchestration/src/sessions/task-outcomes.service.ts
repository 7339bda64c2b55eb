import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { SessionOutputsFullError, SwitchyardError, TaskJobFailedError } from '../errors/errors';
import { HOLD_DELAY_MS } from '../plans/flow-builder';
import { TaskJobData, TaskRef } from '../plans/task-job';
import { jobIds, ROOT_WAITER, SESSION_QUEUE, ShardTag } from '../redis/keys';
import { TaskQueues } from '../queues/task-queues.service';
import { RedisFaultRetry } from '../queues/redis-fault-retry.service';
import { SessionStore } from './session.store';
import { FinishedJob, TaskRunStore } from './task-run.store';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { SessionTerminator } from './session-terminator.service';
import { FailureInfo, TaskStatus } from './session.types';
import { ScriptedLogEntry, SessionLogWriter } from '../log/session-log.writer';
import { failpoint, failpointArmed } from '../runtime/failpoint';
import { isoNow } from '../runtime/iso-now';

/** How often {@link TaskOutcomes.completeAhead} sends a failed write-back before failing the session. */
const COMPLETE_TRIES = 4;

/** A task's statuses before it finished, other than paused (whose job waits in the delayed set for an operator). */
const UNFINISHED_TASK: ReadonlySet<TaskStatus> = new Set(['ready', 'waiting', 'running']);

/** The session's root job, as a task's waiter: it waits for the top-level tasks (see buildSessionFlow). */
const ROOT: TaskRef = { id: ROOT_WAITER, queue: SESSION_QUEUE };

/**
 * Whom a task's write-back tells: its dependants, and its parent (whose job BullMQ moves on
 * itself) or, for a top-level task, the session's root job.
 */
function waitersOf(task: TaskJobData): TaskRef[] {
  return [...task.dependants, task.parentId ? { id: task.parentId, queue: '' } : ROOT];
}

/** The job of a waiter that a write-back left ready: a task's, or the session's root job. */
const waiterJobId = (sessionId: string, waiter: TaskRef) => (waiter.id === ROOT_WAITER ? jobIds.root(sessionId) : jobIds.task(sessionId, waiter.id));

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
 * How a task's run ends: finished (its waiters are resolved and the ready ones promoted),
 * failed (by its failure policy) or paused for an operator.
 */
@Injectable()
export class TaskOutcomes {
  private readonly logger = new Logger(TaskOutcomes.name);
  /** Whether the write-back-lost failpoint dropped its write-back (it drops one). */
  private lostOne = false;

  constructor(
    private readonly store: SessionStore,
    private readonly runs: TaskRunStore,
    private readonly queues: TaskQueues,
    private readonly terminator: SessionTerminator,
    private readonly log: SessionLogWriter,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
    private readonly redisFaults: RedisFaultRetry,
  ) {}

  /** The task's job, kept for the retention from now on (see scripts/finish-task.lua). */
  private finishedJob(task: TaskJobData): FinishedJob {
    return { queue: task.capabilities[0], hasChildren: task.childIds.length > 0, keepSeconds: this.config.retentionSeconds };
  }

  /**
   * Records the outcome and wakes every waiter left with nothing pending. A dependant whose only
   * prerequisite is this task is ready once the write-back lands, whatever it says: its promotion
   * is sent right behind the write-back, on the same connection, so Redis runs it after the
   * write-back and both take one round trip (a chain's hand-off). The others are promoted once the
   * write-back says they are ready. Either way they are woken before this job completes, so a
   * worker dying in between leaves a job that runs again and wakes them.
   */
  async finish(tag: ShardTag, task: TaskJobData, outcome: { status: 'completed'; output: unknown } | { status: 'failed' | 'skipped' }): Promise<void> {
    const { sessionId, taskId } = task;
    const waiters = waitersOf(task);
    const sole = task.dependants.filter((w) => w.sole);
    const job = this.finishedJob(task);
    const written = this.runs.finishTask(tag, sessionId, taskId, outcome, waiters, { ordered: sole.length > 0, job });
    const early = sole.map((w) => this.queues.promote(tag, w.queue, jobIds.task(sessionId, w.id)));
    // Awaited below, unless the write-back fails for good first: never an unhandled rejection.
    for (const promotion of early) promotion.catch(() => undefined);
    let ready: TaskRef[];
    let promoted = new Set(sole);
    try {
      ready = await written;
    } catch (error) {
      // A refused output is refused again: the task fails (see failed).
      if (sole.length === 0 || error instanceof SessionOutputsFullError) throw error;
      // Refused (Redis lost the script): the early promotions met dependants that still waited,
      // which held themselves again. Write back again, and promote whatever it leaves ready.
      ready = await this.runs.finishTask(tag, sessionId, taskId, outcome, waiters, { job });
      promoted = new Set();
    }
    // The parent is moved on by BullMQ itself once this job has finished.
    const woken = ready.filter((w) => w.id !== task.parentId && !promoted.has(w)).map((w) => this.queues.promote(tag, w.queue, waiterJobId(sessionId, w)));
    // The log entries written so far go out right behind the wake-ups (same connection, so Redis
    // runs them next), off the hand-off's path: a woken dependant's own first entries wait for
    // its worker's next flush, so they still come after these. Only when a task wakes dependants:
    // independent tasks leave their entries to the periodic flush, which sends those of many
    // tasks in one write instead of one write per task, and a parent or the finalizer starts only
    // after this job finishes, by when the tick's flush is usually out.
    if (task.dependants.length > 0) void this.log.flush();
    await Promise.all([...early, ...woken]);
  }

  /**
   * Completes a task whose dependants (if any) wait for it alone, without waiting for the
   * write-back's answer: the processor returns once the write-back is on the connection (with
   * those of the other tasks finishing in this tick, see TaskRunStore.finishAhead), followed by
   * the promotion of each dependant, and BullMQ's moveToFinished for the job follows them — which
   * also hands this worker the first dependant, when it is on the same queue. All of it takes one
   * round trip, and Redis runs the write-back first: neither a dependant nor the parent can start
   * before it. (A chain's hand-off was three round trips: the write-back, the completion, and the
   * dependant's start; it is two.)
   *
   * Should the write-back fail (Redis refused it), it is sent again, and the waiters it leaves ready
   * are promoted (a dependant promoted meanwhile found this task pending, and held itself); if it
   * never lands, the session fails rather than waiting for ever. Should this worker die before
   * sending it again, the task's job still completed, with its output: a held dependant, the parent
   * and the session's finalizer each record it from there (see recoverDependencies and
   * recoverChildren). Should it refuse the output (the session's outputs have no room for it,
   * which the worker's own check missed as tasks finishing meanwhile took the room), the task
   * fails by its policy as far as a completed job allows (see {@link endWithoutJob}).
   */
  async completeAhead(tag: ShardTag, task: TaskJobData, output: unknown, log?: ScriptedLogEntry): Promise<void> {
    const { sessionId, taskId } = task;
    const waiters = waitersOf(task);
    if (failpointArmed('write-back-lost') && !this.lostOne) {
      // Tests only: as if Redis refused this write-back and the worker died before sending it
      // again, once BullMQ (whose completion of the job is on its way) completed the job.
      this.lostOne = true;
      setTimeout(() => failpoint('write-back-lost'), 500);
      this.promoteDependants(tag, task);
      return;
    }
    const job = this.finishedJob(task);
    // A write-back sent again still says when the task finished.
    const at = isoNow();
    // Whatever the task logged goes out before the write-back, which appends `log` after it.
    if (log) this.log.flushBefore();
    const { sent, ready: written } = this.runs.finishAhead(tag, sessionId, taskId, output, waiters, job, at, log);
    written.catch(async (first: unknown) => {
      if (first instanceof SessionOutputsFullError) return this.endWithoutJob(tag, task, first);
      for (let tries = 1; ; tries++) {
        try {
          await sleep(tries === 1 ? 0 : 100 * 4 ** tries);
          const ready = await this.runs.finishTask(tag, sessionId, taskId, { status: 'completed', output }, waiters, { job, at, log });
          for (const waiter of ready) {
            // A parent is known by its id alone (see waitersOf); dependants and the root carry their queue.
            const queue = waiter.queue || (await this.parentQueue(tag, sessionId, waiter.id));
            if (queue) await this.queues.promote(tag, queue, waiterJobId(sessionId, waiter));
          }
          return;
        } catch (error) {
          if (error instanceof SessionOutputsFullError) return this.endWithoutJob(tag, task, error);
          if (tries < COMPLETE_TRIES) continue;
          const reason = `the task's result could not be recorded (${(error as Error).message}; first: ${(first as Error).message})`;
          this.logger.error({ sessionId, taskId, error: (error as Error).message }, reason);
          await this.terminator
            .fail(tag, sessionId, { name: 'WriteBackError', message: `Task "${taskId}" completed, but ${reason}`, taskId })
            .catch(() => undefined);
          return;
        }
      }
    });
    await sent;
    this.promoteDependants(tag, task);
    if (!task.parentId) {
      // The last top-level task to finish wakes the session's root job once its write-back says
      // so; nothing waits for that here. A refused write-back is sent again above.
      written
        .then(
          (ready) => (ready.some((waiter) => waiter.id === ROOT_WAITER) ? this.wakeRoot(tag, sessionId) : undefined),
          () => undefined,
        )
        .catch((error: Error) =>
          this.logger.warn({ sessionId, error: error.message }, "could not wake the session's root job; its next check finds the session done"),
        );
    }
  }

  private wakeRoot(tag: ShardTag, sessionId: string): Promise<void> | undefined {
    if (failpointArmed('root-wake-lost')) {
      // Tests only: as if this worker died right before the promotion, once the job's completion
      // (on its way) has landed.
      setTimeout(() => failpoint('root-wake-lost'), 500);
      return undefined;
    }
    return this.queues.promote(tag, SESSION_QUEUE, jobIds.root(sessionId));
  }

  /**
   * Sends the promotion of each of the task's dependants now, on the command connection (see
   * TaskQueues.promoteNow), so that they come before the job's completion; their answers are not
   * waited for. Only for dependants that wait for this task alone: they are ready once the
   * write-back sent before them landed.
   */
  private promoteDependants(tag: ShardTag, task: TaskJobData): void {
    for (const dependant of task.dependants) {
      this.queues
        .promoteNow(tag, dependant.queue, jobIds.task(task.sessionId, dependant.id))
        .catch((error: Error) =>
          this.logger.warn(
            { sessionId: task.sessionId, taskId: dependant.id, error: error.message },
            'could not wake a dependant; it runs once the write-back is sent again',
          ),
        );
    }
  }

  /**
   * Writes back, from their jobs' return values, the children of `job` among `waitingFor` that
   * completed without their write-back. BullMQ runs a parent task's job only once all its
   * children completed, so a child still unfinished for the parent then lost its
   * write-back: Redis refused it and the child's worker died before sending it again (see
   * completeAhead). Answers how many it wrote back.
   */
  async recoverChildren(tag: ShardTag, job: Job, waitingFor: ReadonlySet<string>): Promise<number> {
    if (waitingFor.size === 0) return 0;
    let recovered = 0;
    // Keyed by the child's job key: <tag>:<queue>:<job id>.
    for (const [key, output] of Object.entries(await job.getChildrenValues<unknown>())) {
      const [queueName, jobId] = key.slice(tag.length + 1).split(':');
      const childId = jobIds.parse(jobId ?? '')?.taskId;
      if (childId === undefined || !waitingFor.has(childId)) continue;
      const child = await Job.fromId<TaskJobData>(this.queues.queue(tag, queueName), jobId);
      if (!child) continue;
      await this.recordFromJob(tag, child.data, output);
      recovered++;
    }
    return recovered;
  }

  /**
   * Writes back, from their jobs' return values, the dependencies of `task` among `waitingFor`
   * whose jobs completed without their write-back: a dependant waiting for them alone is promoted
   * right behind the write-back (see completeAhead), so one that finds a dependency still pending
   * after that lost it — Redis refused it, and its worker died before sending it again. Answers
   * how many it wrote back.
   */
  async recoverDependencies(tag: ShardTag, task: TaskJobData, waitingFor: ReadonlySet<string>): Promise<number> {
    return this.recoverFromJobs(
      tag,
      task.sessionId,
      task.dependsOn.filter((id) => waitingFor.has(id)),
    );
  }

  /**
   * Writes back, from their jobs' return values, the tasks among `taskIds` whose jobs completed
   * without their write-back (see completeAhead): the session's root job checks its pending
   * top-level tasks so, as nothing else waits for them. Answers how many it wrote back.
   */
  async recoverFromJobs(tag: ShardTag, sessionId: string, taskIds: readonly string[]): Promise<number> {
    let recovered = 0;
    for (const id of taskIds) {
      const queue = await this.parentQueue(tag, sessionId, id);
      const job = queue ? await Job.fromId<TaskJobData>(this.queues.queue(tag, queue), jobIds.task(sessionId, id)) : undefined;
      if (!job || (await job.getState()) !== 'completed') continue;
      // Read after the job's completion, which its write-back precedes: a task still running then
      // lost it. Any other status means it landed since `taskIds` was read; writing it back again
      // would only stamp the task finished later than it did.
      if ((await this.store.taskStatus(tag, sessionId, id))?.status !== 'running') continue;
      await this.recordFromJob(tag, job.data, job.returnvalue);
      recovered++;
    }
    return recovered;
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
    const queueOf = (task: { capabilities: string[] }) => this.queues.queue(tag, task.capabilities[0]);
    // Their jobs' states first: only a failed one's job (with its data) is read.
    const states = await Promise.all(unfinished.map((t) => queueOf(t).getJobState(jobIds.task(sessionId, t.id))));
    let ended = 0;
    for (const [i, task] of unfinished.entries()) {
      if (states[i] !== 'failed') continue;
      const job = await queueOf(task).getJob(jobIds.task(sessionId, task.id));
      if (!job) continue;
      const { taskId } = job.data as TaskJobData;
      this.log.write(
        tag,
        {
          level: 'warn',
          source: 'task',
          sessionId,
          taskId,
          message: 'task found failed in its queue: its failure policy applies',
          context: { reason: job.failedReason },
        },
        this.logger,
      );
      await this.endWithoutJob(tag, job.data as TaskJobData, new TaskJobFailedError(taskId, job.failedReason));
      ended++;
    }
    return ended;
  }

  /** Writes back a task whose write-back was lost, with the output its completed job kept (see the recover methods). */
  private async recordFromJob(tag: ShardTag, task: TaskJobData, output: unknown): Promise<void> {
    this.log.write(
      tag,
      {
        level: 'warn',
        source: 'task',
        sessionId: task.sessionId,
        taskId: task.taskId,
        message: "task result recorded from its job: its worker's write-back was lost",
      },
      this.logger,
    );
    try {
      await this.finish(tag, task, { status: 'completed', output: output ?? null });
    } catch (error) {
      if (!(error instanceof SessionOutputsFullError)) throw error;
      await this.endWithoutJob(tag, task, error);
    }
  }

  /**
   * A task whose job finished without it: its job completed but the write-back refused its output
   * (the session's outputs have no room for it), or its job failed without the failure being
   * recorded. The task fails: with `continue` its waiters run without it; otherwise, `ask`
   * included (a finished job cannot pause), its session fails.
   */
  private async endWithoutJob(tag: ShardTag, task: TaskJobData, error: SessionOutputsFullError | TaskJobFailedError): Promise<void> {
    const { sessionId, taskId } = task;
    const info = failureInfo(error, taskId);
    const context = { final: true, policy: task.onFailure, error: info.message, errorName: info.name };
    this.log.write(tag, { level: 'error', source: 'task', sessionId, taskId, message: 'task failed', context }, this.logger);
    await this.endFailed(tag, task, info).catch((failure: Error) =>
      this.logger.error({ sessionId, taskId, error: failure.message }, 'could not record the failure of a task whose job finished without it'),
    );
  }

  /** The queue of a task's job (its first capability), or undefined when there is no such task. */
  private async parentQueue(tag: ShardTag, sessionId: string, taskId: string): Promise<string | undefined> {
    return (await this.store.taskStatus(tag, sessionId, taskId))?.queue;
  }

  /**
   * Applies a failed attempt: a retry while attempts remain; on the last one the task's policy —
   * `fail` fails the session, `continue` lets its waiters run without it, `ask` pauses it for an
   * operator. Always throws what BullMQ must see. `attempt` is the run's number as its session
   * counts runs (retries by an operator included), which the log gives; without it, BullMQ's.
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

  /** Records a task failed for good: with `continue` its waiters run without it, else its session fails. */
  private async endFailed(tag: ShardTag, task: TaskJobData, info: FailureInfo): Promise<void> {
    const { sessionId, taskId } = task;
    if (task.onFailure === 'continue') {
      this.log.write(tag, { level: 'warn', source: 'task', sessionId, taskId, message: 'continuing without the failed task (onFailure: continue)' });
      await this.store.setTaskStatus(tag, sessionId, taskId, 'failed', { error: info });
      await this.finish(tag, task, { status: 'failed' });
      return;
    }
    await this.store.setTaskStatus(tag, sessionId, taskId, 'failed', { error: info, finished: true });
    await this.terminator.fail(tag, sessionId, { ...info, message: `Task "${taskId}" failed: ${info.message}` });
  }

  /**
   * Pauses the task until an operator resolves it: its job waits in the delayed set (its branch
   * waits with it, other branches go on) and the session shows as paused.
   */
  async pause(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, reason: string, error?: FailureInfo): Promise<never> {
    const { sessionId, taskId } = job.data;
    await job.moveToDelayed(Date.now() + HOLD_DELAY_MS, token);
    await this.store.setTaskStatus(tag, sessionId, taskId, 'paused', { waitingFor: reason, ...(error ? { error } : {}) });
    await this.store.transition(tag, sessionId, ['running'], 'paused');
    this.log.write(tag, { level: 'warn', source: 'task', sessionId, taskId, message: 'task paused for operator input', context: { reason } }, this.logger);
    throw new DelayedError();
  }
}
