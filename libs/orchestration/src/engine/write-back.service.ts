import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { soleDependants, toPromote, waiterJobId, waitersOf } from '../dag/waiters';
import { SessionOutputsFullError } from '../errors/errors';
import { ScriptedLogEntry, SessionLogWriter } from '../log/session-log.writer';
import { queueOfTask, TaskJobData } from '../plans/task-job';
import { TaskQueues } from '../queues/task-queues.service';
import { jobIds, ROOT_WAITER, SESSION_QUEUE, ShardTag } from '../redis/keys';
import { isoNow } from '../runtime/iso-now';
import { SessionStore } from '../sessions/session.store';
import { SessionTerminator } from '../sessions/session-terminator.service';
import { checkOutput } from './output-limits';
import { FinishedJob, WriteBackStore } from './write-back.store';
import { HandOff } from './hand-off';

/** How often {@link TaskWriteBack.completeAhead} sends a failed write-back before failing the session. */
const COMPLETE_TRIES = 4;

/** A task's outcome as its write-back records it. */
export type WriteBackOutcome = { status: 'completed'; output: unknown } | { status: 'failed' | 'skipped' };

/** Told when a write-back sent ahead of its job's completion refused the output (see completeAhead). */
export type RefusedWriteBack = (error: SessionOutputsFullError) => Promise<void>;

/**
 * The write-back step: a task's outcome goes into the session's records (the finish script, with
 * its log entry), the waiters it leaves ready are woken, and the session's root job once the last
 * top-level task finished.
 */
@Injectable()
export class TaskWriteBack {
  protected readonly logger = new Logger(TaskWriteBack.name);

  constructor(
    private readonly store: SessionStore,
    private readonly runs: WriteBackStore,
    private readonly handOff: HandOff,
    protected readonly queues: TaskQueues,
    private readonly terminator: SessionTerminator,
    private readonly log: SessionLogWriter,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /** The task's job, kept for the retention from now on (see sessions/scripts/finish-task.lua). */
  private finishedJob(task: TaskJobData): FinishedJob {
    return { queue: queueOfTask(task), hasChildren: task.childIds.length > 0, keepSeconds: this.config.retentionSeconds };
  }

  /**
   * Records the outcome and wakes every waiter left with nothing pending: a dependant whose only
   * prerequisite is this task is ready once the write-back lands, whatever it says, and the
   * hand-off promotes it right after; the others are promoted once the write-back says they are
   * ready. Either way they are woken before this job completes, so a worker dying in between
   * leaves a job that runs again and wakes them. A refused output rejects (the task fails, see
   * TaskExceptions.failed).
   */
  async finish(tag: ShardTag, task: TaskJobData, outcome: WriteBackOutcome): Promise<void> {
    const { sessionId, taskId } = task;
    const sole = soleDependants(task);
    const write = { sessionId, taskId, outcome, waiters: waitersOf(task), promote: sole, job: this.finishedJob(task) };
    const ready = await this.handOff.finish(tag, write);
    const woken = toPromote(ready, task, new Set(sole)).map((w) => this.queues.promote(tag, w.queue, waiterJobId(sessionId, w)));
    // The log entries written so far go out with the wake-ups, off the hand-off's path. Only
    // when a task wakes dependants: independent tasks leave their entries to the periodic flush,
    // which sends those of many tasks in one write instead of one write per task.
    if (task.dependants.length > 0) void this.log.flush();
    await Promise.all(woken);
  }

  /**
   * Completes a task whose dependants (if any) wait for it alone: the write-back (with those of
   * the other tasks finishing in this tick, see WriteBackStore.finishAhead), then the promotion of
   * each dependant, then, once this resolves, BullMQ's moveToFinished for the job — which also
   * hands this worker the first dependant, when it is on the same queue. The order is HandOff's:
   * neither a dependant nor the parent can start before the write-back landed.
   *
   * Should the write-back fail (Redis refused it), it is sent again (see sendAgain). Should this
   * worker die before sending it again, the task's job still completed, with its output: a held
   * dependant, the parent and the session's finalizer each record it from there (see
   * WriteBackRecovery). Should it refuse the output (the session's outputs have no room for it,
   * which the worker's own check missed as tasks finishing meanwhile took the room), `refused` is
   * told, which fails the task by its policy as far as a completed job allows.
   */
  async completeAhead(tag: ShardTag, task: TaskJobData, output: unknown, refused: RefusedWriteBack, log?: ScriptedLogEntry): Promise<void> {
    const { sessionId, taskId } = task;
    const job = this.finishedJob(task);
    // A write-back sent again still says when the task finished.
    const at = isoNow();
    // Whatever the task logged is written before the write-back, which appends `log` after it.
    if (log) await this.log.flushBefore();
    const write = { sessionId, taskId, output, waiters: waitersOf(task), promote: task.dependants, job, at, log };
    const { ready: written, promotions } = await this.handOff.complete(tag, write);
    written.catch((first: unknown) => this.sendAgain(tag, task, { output, job, at, log }, first, refused));
    // Settled already; a dependant not woken runs once the write-back is sent again.
    promotions.forEach((promotion, i) => {
      promotion.catch((error: Error) =>
        this.logger.warn(
          { sessionId, taskId: task.dependants[i].id, error: error.message },
          'could not wake a dependant; it runs once the write-back is sent again',
        ),
      );
    });
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

  /**
   * Sends again a write-back that Redis refused (`first`), and promotes the waiters it leaves
   * ready (a dependant promoted meanwhile found this task pending, and held itself); if it never
   * lands, the session fails rather than waiting for ever.
   */
  private async sendAgain(
    tag: ShardTag,
    task: TaskJobData,
    write: { output: unknown; job: FinishedJob; at: string; log?: ScriptedLogEntry },
    first: unknown,
    refused: RefusedWriteBack,
  ): Promise<void> {
    const { sessionId, taskId } = task;
    if (first instanceof SessionOutputsFullError) return refused(first);
    for (let tries = 1; ; tries++) {
      try {
        await sleep(tries === 1 ? 0 : 100 * 4 ** tries);
        const { output, job, at, log } = write;
        const ready = await this.runs.finishTask(tag, sessionId, taskId, { status: 'completed', output }, waitersOf(task), { job, at, log });
        for (const waiter of ready) {
          // A parent is known by its id alone (see waitersOf); dependants and the root carry their queue.
          const queue = waiter.queue || (await this.queueOf(tag, sessionId, waiter.id));
          if (queue) await this.queues.promote(tag, queue, waiterJobId(sessionId, waiter));
        }
        return;
      } catch (error) {
        if (error instanceof SessionOutputsFullError) return refused(error);
        if (tries < COMPLETE_TRIES) continue;
        const reason = `the task's result could not be recorded (${(error as Error).message}; first: ${(first as Error).message})`;
        this.logger.error({ sessionId, taskId, error: (error as Error).message }, reason);
        await this.terminator
          .fail(tag, sessionId, { name: 'WriteBackError', message: `Task "${taskId}" completed, but ${reason}`, taskId })
          .catch(() => undefined);
        return;
      }
    }
  }

  /** Wakes the session's root job: its last top-level task finished. */
  protected wakeRoot(tag: ShardTag, sessionId: string): Promise<void> | undefined {
    return this.queues.promote(tag, SESSION_QUEUE, jobIds.root(sessionId));
  }

  /**
   * Completes a task whose subtasks all completed: with its agent's `output`, or their results
   * (checked against the output limits, `heldBytes` being what the session's outputs held when
   * the task started).
   */
  async finishDecomposed(tag: ShardTag, task: TaskJobData, heldBytes?: number): Promise<unknown> {
    const subtasks = await this.store.outputsOf(tag, task.sessionId, task.childIds);
    const output = task.decomposition?.output !== undefined ? task.decomposition.output : subtasks;
    checkOutput(task, output, this.config, heldBytes);
    const { sessionId, taskId } = task;
    this.log.write(tag, { level: 'info', source: 'task', sessionId, taskId, message: 'task completed after its subtasks' }, this.logger);
    await this.finish(tag, task, { status: 'completed', output });
    return output;
  }

  /** The queue of a task's job (its first capability, or the wait queue), or undefined when there is no such task. */
  async queueOf(tag: ShardTag, sessionId: string, taskId: string): Promise<string | undefined> {
    return (await this.store.taskStatus(tag, sessionId, taskId))?.queue;
  }
}
