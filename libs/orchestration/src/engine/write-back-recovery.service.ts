import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { SessionOutputsFullError } from '../errors/errors';
import { SessionLogWriter } from '../log/session-log.writer';
import { TaskJobData } from '../plans/task-job';
import { TaskQueues } from '../queues/task-queues.service';
import { jobIds, ShardTag } from '../redis/keys';
import { SessionStore } from '../sessions/session.store';
import { TaskExceptions } from './exception.service';
import { TaskWriteBack } from './write-back.service';

/**
 * Recovers lost write-backs: a task whose job completed (with its output as the return value)
 * while its write-back never landed — Redis refused it, and its worker died before sending it
 * again (see TaskWriteBack.completeAhead). A held dependant, the parent and the session's
 * finalizer each record it from the job.
 */
@Injectable()
export class WriteBackRecovery {
  private readonly logger = new Logger(WriteBackRecovery.name);

  constructor(
    private readonly store: SessionStore,
    private readonly writeBack: TaskWriteBack,
    private readonly exceptions: TaskExceptions,
    private readonly queues: TaskQueues,
    private readonly log: SessionLogWriter,
  ) {}

  /**
   * Writes back, from their jobs' return values, the children of `job` among `waitingFor` that
   * completed without their write-back. BullMQ runs a parent task's job only once all its
   * children completed, so a child still unfinished for the parent then lost its write-back.
   * Answers how many it wrote back.
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
   * after that lost it. Answers how many it wrote back.
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
   * without their write-back: the session's root job checks its pending top-level tasks so, as
   * nothing else waits for them. Answers how many it wrote back.
   */
  async recoverFromJobs(tag: ShardTag, sessionId: string, taskIds: readonly string[]): Promise<number> {
    let recovered = 0;
    for (const id of taskIds) {
      const queue = await this.writeBack.queueOf(tag, sessionId, id);
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

  /** Writes back a task whose write-back was lost, with the output its completed job kept. */
  private async recordFromJob(tag: ShardTag, task: TaskJobData, output: unknown): Promise<void> {
    const message = "task result recorded from its job: its worker's write-back was lost";
    this.log.write(tag, { level: 'warn', source: 'task', sessionId: task.sessionId, taskId: task.taskId, message }, this.logger);
    try {
      await this.writeBack.finish(tag, task, { status: 'completed', output: output ?? null });
    } catch (error) {
      if (!(error instanceof SessionOutputsFullError)) throw error;
      await this.exceptions.endWithoutJob(tag, task, error);
    }
  }
}
