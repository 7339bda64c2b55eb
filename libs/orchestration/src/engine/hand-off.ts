import { OnApplicationShutdown } from '@nestjs/common';
import type { ScriptedLogEntry } from '../log/session-log.writer';
import { TaskRef } from '../plans/task-job';
import { TaskQueues } from '../queues/task-queues.service';
import { jobIds, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { SwitchyardConfig } from '../config/switchyard-config';
import { TickBatcher } from '../redis/tick-batcher';
import type { FinishTaskReply } from '../sessions/scripts/finish-task';
import { AheadWrite, FinishedJob, WriteBackStore } from './write-back.store';

/** A completed task's write-back, as {@link HandOff.complete} sends it. */
export interface CompletedWrite {
  readonly sessionId: string;
  readonly taskId: string;
  readonly output: unknown;
  /** Whom the write-back tells (see dag/waiters.ts). */
  readonly waiters: readonly TaskRef[];
  /** The dependants promoted once the write-back landed. */
  readonly promote: readonly TaskRef[];
  readonly job: FinishedJob;
  readonly at: string;
  readonly log?: ScriptedLogEntry;
}

/** What the hand-off writes: a task's finish script, alone or with promotions (see write-back.store.ts). */
export type HandOffWrites = Pick<WriteBackStore, 'completedWrite' | 'finishAndPromote' | 'finishTask'>;

/** How the hand-off wakes a dependant: BullMQ's promotion of its held job, in its transaction or on its own. */
export type HandOffQueues = Pick<TaskQueues, 'promote' | 'promotions'> & Partial<Pick<TaskQueues, 'onApplicationShutdown'>>;

/** A job to promote: a dependant's, by its queue and id. */
interface HeldJob {
  readonly queue: string;
  readonly jobId: string;
}

/** One completed task's part of a tick's transaction, and what came back for it. */
interface AheadItem {
  readonly write: AheadWrite;
  readonly jobs: readonly HeldJob[];
}
interface AheadAnswer {
  readonly finish: FinishTaskReply;
  readonly promoted: readonly boolean[];
}

/**
 * The one owner of an order of commands that correctness depends on, and of the connection it
 * sends them on: a task's write-back, then the promotion of its dependants, then (once
 * {@link complete} or {@link finish} resolved) BullMQ's completion of the task's job.
 *
 * Why the order matters: a dependant promoted before the write-back landed would find the task
 * pending and hold itself again; a job completed before its write-back would let its parent (or
 * the session's finalizer) run without the task's result; and a job completed before its
 * dependants were woken would, should the worker die in between, leave them held for ever (the
 * job does not run again to wake them).
 *
 * How it holds: a completed task's write-back and its promotions go to Redis as one MULTI (with
 * those of the other tasks of its shard completing in the same tick; without promotions, the
 * write-backs' one script call goes alone), which Redis runs in order and whole; a failed task's
 * promotions are sent once Redis has answered its write-back. The order thus never rests on
 * commands keeping their order on one socket, which a Redis Cluster connection (a redirection, a
 * reconnection) or a connection split would not keep. The connection is the hand-off's own
 * (made by {@link HandOff.connect}, used by nothing else), so no other command waits behind a
 * hand-off's and the hand-off waits behind no one's. BullMQ's completion goes out on the worker's
 * connection after the promise resolves, so it too comes after the answers.
 */
export class HandOff implements OnApplicationShutdown {
  /** The write-backs sent ahead of their jobs' completion in one tick: one transaction per shard. */
  private readonly ahead = new TickBatcher<ShardTag, AheadItem, AheadAnswer>((tag, items) => this.sendAhead(tag, items));

  constructor(
    private readonly writes: HandOffWrites,
    private readonly queues: HandOffQueues,
  ) {}

  /** A hand-off on a connection of its own, with a write-back store and BullMQ queues on it. */
  static connect(redis: RedisConnections, config: Pick<SwitchyardConfig, 'maxSessionBytes'>): HandOff {
    const own = { client: redis.duplicate('hand-off') } as RedisConnections;
    return new HandOff(new WriteBackStore(own, config), new TaskQueues(own));
  }

  /**
   * Writes back a completed task and promotes `write.promote` in one transaction (with the other
   * tasks of its shard completing in this tick); resolves once it is answered, and a promotion
   * Redis could not make there (the job was not delayed yet) has been made or given up on its
   * own (see TaskQueues.promote). `ready` is the write-back's answer (the waiters it left ready)
   * or its refusal, in which case the caller sends it again (see TaskWriteBack.sendAgain); each
   * of `promotions` has settled, and there are none when the transaction failed whole.
   */
  async complete(tag: ShardTag, write: CompletedWrite): Promise<{ ready: Promise<TaskRef[]>; promotions: Promise<void>[] }> {
    const { sessionId, taskId, output, waiters, job, at, log } = write;
    const ahead = this.writes.completedWrite(tag, sessionId, taskId, output, waiters, job, at, log);
    const jobs = write.promote.map((dependant) => ({ queue: dependant.queue, jobId: jobIds.task(sessionId, dependant.id) }));
    const sent = this.ahead.add(tag, { write: ahead, jobs });
    const ready = sent.then(({ finish }) => ahead.ready(finish));
    // Handled by the caller; marked handled here, as it may settle before the caller has it.
    ready.catch(() => undefined);
    const answer = await sent.catch(() => undefined);
    if (!answer) return { ready, promotions: [] };
    const promotions = jobs.map((held, i) => (answer.promoted[i] ? Promise.resolve() : this.queues.promote(tag, held.queue, held.jobId)));
    await Promise.allSettled(promotions);
    return { ready, promotions };
  }

  /** One tick's completed tasks of shard `tag`: their write-backs, then their promotions, in one transaction. */
  private async sendAhead(tag: ShardTag, items: readonly AheadItem[]): Promise<AheadAnswer[]> {
    const promotions = await this.queues.promotions(
      tag,
      items.flatMap((item) => item.jobs),
    );
    const { finishes, promoted } = await this.writes.finishAndPromote(
      items.map((item) => item.write.call),
      promotions,
    );
    let next = 0;
    return items.map((item, i) => {
      const own = promoted.slice(next, next + item.jobs.length);
      next += item.jobs.length;
      return { finish: finishes[i], promoted: own };
    });
  }

  /**
   * Writes back a task's outcome and, once it landed, promotes `write.promote` (the dependants it
   * always makes ready); answers the waiters the write-back left ready once the promotions are
   * done. Rejects with the write-back's refusal (nothing promoted) or a promotion's failure.
   */
  async finish(
    tag: ShardTag,
    write: Omit<CompletedWrite, 'output' | 'at' | 'log'> & { outcome: Parameters<WriteBackStore['finishTask']>[3] },
  ): Promise<TaskRef[]> {
    const { sessionId, taskId, outcome, waiters, job } = write;
    const ready = await this.writes.finishTask(tag, sessionId, taskId, outcome, waiters, { job });
    await Promise.all(write.promote.map((dependant) => this.queues.promote(tag, dependant.queue, jobIds.task(sessionId, dependant.id))));
    return ready;
  }

  /** Closes the hand-off's BullMQ queues (its connection closes with the others, see RedisConnections). */
  async onApplicationShutdown(): Promise<void> {
    await this.queues.onApplicationShutdown?.().catch(() => undefined);
  }
}
