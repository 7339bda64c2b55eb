import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { rootCheckDelayMs } from '../plans/flow-builder';
import { SessionJobData } from '../plans/task-job';
import { TaskQueues } from '../queues/task-queues.service';
import { ROOT_WAITER, SESSION_QUEUE, ShardTag } from '../redis/keys';
import { FINISHED_SESSION_STATUSES } from './session.types';
import { SessionStore } from './session.store';
import { SessionRetention } from './session-retention.service';
import { SessionLogWriter } from '../log/session-log.writer';
import { LOST_TASKS, LostTasks } from './lost-tasks';

/** The aggregated result of a completed session. */
export interface SessionResult {
  /** Every task's output, keyed by task id. */
  readonly outputs: Record<string, unknown>;
  /** The outputs of the tasks nothing else waits for: the session's final products. */
  readonly final: Record<string, unknown>;
  readonly completedTasks: number;
}

/**
 * Processes a session's root job, which the last top-level task to finish (and so the last task)
 * promotes from the delayed set: aggregates the outputs into the result (a {@link SessionResult})
 * and completes the session.
 *
 * The root job also comes out of the delayed set by itself, after twice the job lock duration and
 * then less and less often (see rootCheckDelayMs): it then looks for top-level tasks whose job
 * completed but whose write-back was lost with their worker (Redis refused it, and the worker
 * died before sending it again, see TaskWriteBack.completeAhead), records them from their jobs,
 * and waits again while others are still pending. It also ends by their failure policy the tasks
 * whose job failed without their task recording it (see TaskExceptions.endFailedJobs), which nothing
 * else would. A worker that died between the last write-back and the root's promotion leaves
 * nothing pending: the next check completes the session.
 */
@Injectable()
export class SessionFinalizer {
  private readonly logger = new Logger(SessionFinalizer.name);

  constructor(
    private readonly store: SessionStore,
    private readonly retention: SessionRetention,
    private readonly log: SessionLogWriter,
    @Inject(LOST_TASKS) private readonly lostTasks: LostTasks,
    private readonly queues: TaskQueues,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  async finalize(tag: ShardTag, job: Job<SessionJobData>, token?: string): Promise<{ status: 'completed'; tasks: number; completedTasks: number } | null> {
    const { sessionId } = job.data;
    const status = await this.store.status(tag, sessionId);
    // Gone, or ended otherwise (failed, cancelled) while this job was held: nothing to do.
    if (status === undefined || FINISHED_SESSION_STATUSES.includes(status)) return null;
    if ((await this.recoverLost(tag, sessionId)) > 0) {
      // Ended meanwhile: a task found failed in its queue failed its session.
      if (FINISHED_SESSION_STATUSES.includes((await this.store.status(tag, sessionId)) ?? 'completed')) return null;
      return this.waitAgain(tag, job, token);
    }
    const inputs = await this.store.resultInputs(tag, sessionId);
    if (!inputs.exists) return null;
    const { taskIds, finalIds, outputs: stored } = inputs;
    // The stored outputs are JSON already: the result (a SessionResult) is put together from them
    // as they are, without parsing every output only to write it out again. Only completed tasks
    // have an output; failed (under `continue`) and skipped ones show null.
    const entry = (id: string) => `${JSON.stringify(id)}:${stored[id] || 'null'}`;
    const completedTasks = Object.keys(stored).length;
    const result = `{"outputs":{${taskIds.map(entry).join(',')}},"final":{${finalIds.map(entry).join(',')}},"completedTasks":${completedTasks}}`;
    // The retention goes out with the transition, in the same round trip: should the session have
    // ended otherwise meanwhile (cancelled), its terminator gave its keys the same retention.
    const finishedAt = new Date().toISOString();
    // Still `planning`: the planning job enqueued the plan (this job exists only then), but Redis
    // refused what it writes after that (its record, the move to running; out of memory, say),
    // and every task has finished meanwhile. The session is complete all the same, and so is its
    // planning step; the planning job, when it runs again, finds the session finished.
    if (status === 'planning') await this.completePlanning(tag, sessionId, finishedAt);
    // `paused` too: every task has finished, so none is paused any more, whatever the session's
    // status still says (an operator's resolve can land between a pausing task's own status and
    // its session's).
    const [moved] = await Promise.all([
      this.store.transition(tag, sessionId, ['pending', 'planning', 'running', 'paused'], 'completed', { result, finishedAt }),
      this.retention.expire(tag, sessionId, { knownTaskIds: taskIds, tasksFinished: true }),
    ]);
    if (!moved) return null;
    this.log.write(
      tag,
      { level: 'info', source: 'orchestrator', sessionId, message: 'session completed', context: { tasks: taskIds.length, completedTasks } },
      this.logger,
    );
    // The root job's return value (Bull Board shows it) says how it ended; the result itself is
    // the session's (GET /api/orchestrator/sessions/:id), not copied into the job.
    return { status: 'completed', tasks: taskIds.length, completedTasks };
  }

  /**
   * Records the pending top-level tasks whose job completed without their write-back, and ends by
   * their failure policy the unfinished tasks whose job failed without their failure recorded (see
   * TaskExceptions.endFailedJobs); answers how many top-level tasks are still pending after that.
   */
  private async recoverLost(tag: ShardTag, sessionId: string): Promise<number> {
    const pending = await this.store.pendingIds(tag, sessionId, ROOT_WAITER);
    // The common case: the last top-level task's write-back woke this job.
    if (pending.length === 0) return 0;
    const statuses = await this.store.statusesOf(tag, sessionId, pending);
    const running = pending.filter((id) => statuses.get(id) === 'running');
    const recovered = running.length > 0 ? await this.lostTasks.recoverFromJobs(tag, sessionId, running) : 0;
    const ended = await this.lostTasks.endFailedJobs(tag, sessionId);
    return recovered + ended > 0 ? this.store.pendingCount(tag, sessionId, ROOT_WAITER) : pending.length;
  }

  private async completePlanning(tag: ShardTag, sessionId: string, finishedAt: string): Promise<void> {
    const planning = await this.store.planning(tag, sessionId);
    if (planning && planning.status !== 'completed') {
      await this.store.setPlanning(tag, sessionId, { ...planning, status: 'completed', finishedAt, error: undefined });
    }
  }

  /** Holds the root job until its next check, or until the last top-level task wakes it. */
  private async waitAgain(tag: ShardTag, job: Job<SessionJobData>, token: string | undefined): Promise<never> {
    const { sessionId } = job.data;
    const checks = (job.data.checks ?? 0) + 1;
    await job.updateData({ ...job.data, checks });
    await job.moveToDelayed(Date.now() + rootCheckDelayMs(this.config.lockDurationMs, checks), token);
    // The last top-level task may have finished meanwhile and found this job running, not
    // delayed: then nothing else would wake it.
    if ((await this.store.pendingCount(tag, sessionId, ROOT_WAITER)) === 0) await this.queues.promote(tag, SESSION_QUEUE, job.id!);
    throw new DelayedError();
  }
}
