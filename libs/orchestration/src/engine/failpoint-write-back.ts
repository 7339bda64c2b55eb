import { TaskJobData } from '../plans/task-job';
import { jobIds, ShardTag } from '../redis/keys';
import { Failpoints } from '../runtime/failpoint';
import { ScriptedLogEntry } from '../log/session-log.writer';
import { RefusedWriteBack, TaskWriteBack } from './write-back.service';

/**
 * The write-back of a worker started with a write-back failpoint armed (tests of recovery only):
 * it stands in for {@link TaskWriteBack}, so the failpoints stay out of the write-back's own code.
 * - `write-back-lost`: its first write-back sent ahead is lost, as if Redis refused it and the
 *   worker died before sending it again, once BullMQ (whose completion of the job is on its way)
 *   completed the job: the dependants are promoted, nothing is written, the worker dies.
 * - `root-wake-lost`: the worker dies right before waking a session's root job, once the job's
 *   completion (on its way) has landed.
 */
export class FailpointWriteBack extends TaskWriteBack {
  /** Whether the write-back-lost failpoint dropped its write-back (it drops one). */
  private lostOne = false;
  private failpoints!: Failpoints;

  /** Whether a worker with these failpoints needs this write-back. */
  static needed(failpoints: Failpoints): boolean {
    return failpoints.armed('write-back-lost') || failpoints.armed('root-wake-lost');
  }

  /** Arms this write-back with the worker's failpoints (see the module's TaskWriteBack provider). */
  withFailpoints(failpoints: Failpoints): this {
    this.failpoints = failpoints;
    return this;
  }

  override async completeAhead(tag: ShardTag, task: TaskJobData, output: unknown, refused: RefusedWriteBack, log?: ScriptedLogEntry): Promise<void> {
    if (!this.failpoints.armed('write-back-lost') || this.lostOne) return super.completeAhead(tag, task, output, refused, log);
    this.lostOne = true;
    setTimeout(() => this.failpoints.reach('write-back-lost'), 500);
    for (const dependant of task.dependants) void this.queues.promote(tag, dependant.queue, jobIds.task(task.sessionId, dependant.id)).catch(() => undefined);
  }

  protected override wakeRoot(tag: ShardTag, sessionId: string): Promise<void> | undefined {
    if (!this.failpoints.armed('root-wake-lost')) return super.wakeRoot(tag, sessionId);
    setTimeout(() => this.failpoints.reach('root-wake-lost'), 500);
    return undefined;
  }
}
