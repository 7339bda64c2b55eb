import { OnApplicationShutdown } from '@nestjs/common';
import type { ScriptedLogEntry } from '../log/session-log.writer';
import { TaskRef } from '../plans/task-job';
import { TaskQueues } from '../queues/task-queues.service';
import { jobIds, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { SwitchyardConfig } from '../config/switchyard-config';
import { FinishedJob, WriteBackStore } from './write-back.store';

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

/** What the hand-off writes: a task's finish script (see write-back.store.ts). */
export type HandOffWrites = Pick<WriteBackStore, 'finishAhead' | 'finishTask'>;

/** How the hand-off wakes a dependant: BullMQ's promotion of its held job. */
export type HandOffQueues = Pick<TaskQueues, 'promote'> & Partial<Pick<TaskQueues, 'onApplicationShutdown'>>;

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
 * How it holds: each step is sent once Redis has answered the step before it. The order thus
 * never rests on commands keeping their order on one socket, which a Redis Cluster connection
 * (a redirection, a reconnection) or a connection split would not keep. The connection is the
 * hand-off's own (made by {@link HandOff.connect}, used by nothing else), so no other command
 * waits behind a hand-off's and the hand-off waits behind no one's. BullMQ's completion goes out
 * on the worker's connection after the promise resolves, so it too comes after the answers.
 */
export class HandOff implements OnApplicationShutdown {
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
   * Writes back a completed task (batched with the others finishing in this tick, see
   * WriteBackStore.finishAhead) and, once it landed, promotes `write.promote`; resolves once both
   * are answered. `ready` is the write-back's answer (the waiters it left ready) or its refusal,
   * in which case nothing is promoted (the caller sends it again, see TaskWriteBack.sendAgain);
   * each of `promotions` has settled.
   */
  async complete(tag: ShardTag, write: CompletedWrite): Promise<{ ready: Promise<TaskRef[]>; promotions: Promise<void>[] }> {
    const { sessionId, taskId, output, waiters, job, at, log } = write;
    const ready = this.writes.finishAhead(tag, sessionId, taskId, output, waiters, job, at, log);
    const landed = await ready.then(
      () => true,
      () => false,
    );
    if (!landed) return { ready, promotions: [] };
    const promotions = this.promote(tag, sessionId, write.promote);
    await Promise.allSettled(promotions);
    return { ready, promotions };
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
    await Promise.all(this.promote(tag, sessionId, write.promote));
    return ready;
  }

  private promote(tag: ShardTag, sessionId: string, dependants: readonly TaskRef[]): Promise<void>[] {
    return dependants.map((dependant) => this.queues.promote(tag, dependant.queue, jobIds.task(sessionId, dependant.id)));
  }

  /** Closes the hand-off's BullMQ queues (its connection closes with the others, see RedisConnections). */
  async onApplicationShutdown(): Promise<void> {
    await this.queues.onApplicationShutdown?.().catch(() => undefined);
  }
}
