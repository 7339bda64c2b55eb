import { Injectable } from '@nestjs/common';
import { TaskJobData } from '../plans/task-job';
import { jobIds, ShardTag } from '../redis/keys';
import { failpoint, failpointArmed } from '../runtime/failpoint';
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
@Injectable()
export class FailpointWriteBack extends TaskWriteBack {
  /** Whether the write-back-lost failpoint dropped its write-back (it drops one). */
  private lostOne = false;

  /** Whether a worker with the process's failpoint needs this write-back. */
  static armed(): boolean {
    return failpointArmed('write-back-lost') || failpointArmed('root-wake-lost');
  }

  override async completeAhead(tag: ShardTag, task: TaskJobData, output: unknown, refused: RefusedWriteBack, log?: ScriptedLogEntry): Promise<void> {
    if (!failpointArmed('write-back-lost') || this.lostOne) return super.completeAhead(tag, task, output, refused, log);
    this.lostOne = true;
    setTimeout(() => failpoint('write-back-lost'), 500);
    for (const dependant of task.dependants)
      void this.queues.promoteNow(tag, dependant.queue, jobIds.task(task.sessionId, dependant.id)).catch(() => undefined);
  }

  protected override wakeRoot(tag: ShardTag, sessionId: string): Promise<void> | undefined {
    if (!failpointArmed('root-wake-lost')) return super.wakeRoot(tag, sessionId);
    setTimeout(() => failpoint('root-wake-lost'), 500);
    return undefined;
  }
}
