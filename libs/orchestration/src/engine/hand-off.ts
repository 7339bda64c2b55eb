import { Injectable } from '@nestjs/common';
import type { ScriptedLogEntry } from '../log/session-log.writer';
import { TaskRef } from '../plans/task-job';
import { TaskQueues } from '../queues/task-queues.service';
import { jobIds, ShardTag } from '../redis/keys';
import { FinishedJob, WriteBackStore } from './write-back.store';

/** A completed task's write-back, as {@link HandOff.complete} sends it. */
export interface CompletedWrite {
  readonly sessionId: string;
  readonly taskId: string;
  readonly output: unknown;
  /** Whom the write-back tells (see dag/waiters.ts). */
  readonly waiters: readonly TaskRef[];
  /** The dependants the write-back always makes ready: promoted right behind it. */
  readonly promote: readonly TaskRef[];
  readonly job: FinishedJob;
  readonly at: string;
  readonly log?: ScriptedLogEntry;
}

/**
 * The one owner of an order of commands that correctness depends on: a task's write-back, then
 * the promotion of the dependants it always makes ready, then BullMQ's completion of the task's
 * job. A dependant promoted before the write-back landed would find the task pending and hold
 * itself again; a job completed before its write-back would let its parent run without its result.
 *
 * The three go out on the process's command connection (RedisConnections.client), which both the
 * write-back store and the BullMQ queues use, in the order this class sends them, and Redis runs
 * them in that order: {@link complete} resolves once the write-back and the promotions are on the
 * connection, and the worker's BullMQ completion of the job is sent after it resolves. Every key
 * they touch carries the session's shard hash tag (the session's keys and its BullMQ queues'), so
 * on a Redis Cluster they all go to the one node that holds that slot, over one socket, and the
 * order holds there too.
 */
@Injectable()
export class HandOff {
  constructor(
    private readonly writes: WriteBackStore,
    private readonly queues: TaskQueues,
  ) {}

  /**
   * Sends a completed task's write-back (batched with the others of this tick) and, behind it,
   * the promotion of `write.promote`; resolves once both are on the connection. `ready` is the
   * write-back's answer (the waiters it left ready) or its refusal; each of `promotions` settles
   * with its promotion.
   */
  async complete(tag: ShardTag, write: CompletedWrite): Promise<{ ready: Promise<TaskRef[]>; promotions: Promise<void>[] }> {
    const { sessionId, taskId, output, waiters, job, at, log } = write;
    const { sent, ready } = this.writes.finishAhead(tag, sessionId, taskId, output, waiters, job, at, log);
    await sent;
    const promotions = write.promote.map((dependant) => this.queues.promoteNow(tag, dependant.queue, jobIds.task(sessionId, dependant.id)));
    return { ready, promotions };
  }

  /**
   * Sends a task's write-back and, when some of its dependants are always made ready by it, their
   * promotion right behind it, without waiting for its answer (`ordered`: the script is sent once,
   * so nothing can overtake it). Answers the write-back's answer and the promotions' promises.
   */
  finish(
    tag: ShardTag,
    write: Omit<CompletedWrite, 'output' | 'at' | 'log'> & { outcome: Parameters<WriteBackStore['finishTask']>[3] },
  ): { ready: Promise<TaskRef[]>; promotions: Promise<void>[] } {
    const { sessionId, taskId, outcome, waiters, job } = write;
    const ready = this.writes.finishTask(tag, sessionId, taskId, outcome, waiters, { ordered: write.promote.length > 0, job });
    const promotions = write.promote.map((dependant) => this.queues.promote(tag, dependant.queue, jobIds.task(sessionId, dependant.id)));
    return { ready, promotions };
  }
}
