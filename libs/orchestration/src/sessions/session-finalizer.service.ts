import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { SessionJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { SessionStore } from './session.store';
import { SessionRetention } from './session-retention.service';
import { SessionLogWriter } from '../log/session-log.writer';
import { TaskOutcomes } from './task-outcomes.service';

/** The aggregated result of a completed session. */
export interface SessionResult {
  /** Every task's output, keyed by task id. */
  readonly outputs: Record<string, unknown>;
  /** The outputs of the tasks nothing else waits for: the session's final products. */
  readonly final: Record<string, unknown>;
  readonly completedTasks: number;
}

/**
 * Processes a session's root job, which BullMQ releases once every top-level task (and so every
 * task) has completed: aggregates the outputs into the result (a {@link SessionResult}) and
 * completes the session.
 */
@Injectable()
export class SessionFinalizer {
  private readonly logger = new Logger(SessionFinalizer.name);

  constructor(
    private readonly store: SessionStore,
    private readonly retention: SessionRetention,
    private readonly log: SessionLogWriter,
    private readonly outcomes: TaskOutcomes,
  ) {}

  async finalize(tag: ShardTag, job: Job<SessionJobData>): Promise<{ status: 'completed'; tasks: number; completedTasks: number } | null> {
    const { sessionId } = job.data;
    let inputs = await this.store.resultInputs(tag, sessionId);
    if (!inputs.exists) return null;
    // A top-level task still running completed without its write-back (its worker died): its
    // job has its result. Tasks without an output are usually failed or skipped ones.
    const statuses = await this.store.statusesOf(tag, sessionId, inputs.taskIds.filter((id) => !(id in inputs.outputs)));
    const running = [...statuses].filter(([, status]) => status === 'running').map(([id]) => id);
    if (running.length > 0 && (await this.outcomes.recoverChildren(tag, job, new Set(running))) > 0) {
      inputs = await this.store.resultInputs(tag, sessionId);
    }
    const { taskIds, finalIds, outputs: stored } = inputs;
    // The stored outputs are JSON already: the result (a SessionResult) is put together from them
    // as they are. Parsing every output and writing it out again took a 5,000-task session's
    // finalizer ~15 ms of CPU. Only completed tasks have an output; failed (under `continue`) and
    // skipped ones show null.
    const entry = (id: string) => `${JSON.stringify(id)}:${stored[id] || 'null'}`;
    const completedTasks = Object.keys(stored).length;
    const result = `{"outputs":{${taskIds.map(entry).join(',')}},"final":{${finalIds.map(entry).join(',')}},"completedTasks":${completedTasks}}`;
    // The retention goes out with the transition, in the same round trip: should the session have
    // ended otherwise meanwhile (cancelled), its terminator gave its keys the same retention.
    const [moved] = await Promise.all([
      this.store.transition(tag, sessionId, ['pending', 'running'], 'completed', { result, finishedAt: new Date().toISOString() }),
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
}
