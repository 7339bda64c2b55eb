import { Injectable } from '@nestjs/common';
import { Job } from 'bullmq';
import type { ScriptedLogEntry } from '../log/session-log.writer';
import { HOLD_DELAY_MS } from '../plans/flow-builder';
import { TaskJobData } from '../plans/task-job';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { TickBatcher } from '../redis/tick-batcher';
import { isoNow } from '../runtime/iso-now';
import { TaskQueues } from '../queues/task-queues.service';
import { SessionStore } from '../sessions/session.store';
import { SessionStatus, WorkerIdentity } from '../sessions/session.types';
import type { BudgetExceeded } from '../sessions/budget';
import { StartTaskCall, StartTaskReply, startTasks, TaskStart } from './scripts/start-task';

export type { TaskStart } from './scripts/start-task';

/** What the fetch step found for a task job; the engine handles each case in one switch. */
export type Fetched =
  /** The session ended (or expired, without a status) while the job waited: start nothing. */
  | { readonly kind: 'ended'; readonly status?: SessionStatus }
  /** The task completed before (its job runs again): only its wake-ups may be missing. */
  | { readonly kind: 'done'; readonly output: unknown }
  /** A dependency or child has not finished. */
  | { readonly kind: 'hold' }
  /** The session reached a limit of its budget: start nothing, end the session. */
  | { readonly kind: 'overBudget'; readonly exceeded: BudgetExceeded }
  /** The task may run; with an agent chosen, it is marked running (`start.attempt` set). */
  | { readonly kind: 'go'; readonly start: TaskStart };

/** The run a fetch marks: the agent chosen for it, and the log entry that says it started. */
export interface FetchRun {
  readonly agentId: string;
  readonly worker: WorkerIdentity;
  readonly started?: ScriptedLogEntry;
}

/** The tasks whose outputs a task receives: its dependencies, then its children. */
export const inputsOf = (task: TaskJobData): string[] => [...task.dependsOn, ...task.childIds];

/**
 * The fetch step: a task job's start (start-task.lua, the one way a task starts) and its hold
 * while something it waits for is unfinished. The starts of one tick go to Redis as one script
 * call per shard: jobs arrive in batches (BullMQ hands out the next job with each completion).
 */
@Injectable()
export class TaskFetch {
  private readonly starts = new TickBatcher<ShardTag, StartTaskCall, StartTaskReply>((_tag, calls) => startTasks(this.redis.client, calls));

  constructor(
    private readonly redis: RedisConnections,
    private readonly queues: TaskQueues,
    private readonly store: SessionStore,
  ) {}

  /** Fetches the task of `task`'s job; with `run` it marks it running if it may go. */
  async fetch(tag: ShardTag, task: TaskJobData, run?: FetchRun): Promise<Fetched> {
    const reply = await this.starts.add(tag, {
      session: keys.session(tag, task.sessionId),
      taskId: task.taskId,
      inputFrom: inputsOf(task),
      now: isoNow(),
      run,
    });
    switch (reply.kind) {
      case 'ended':
        return { kind: 'ended', status: reply.status };
      case 'done':
        return { kind: 'done', output: reply.output };
      case 'hold':
        return { kind: 'hold' };
      case 'overBudget':
        return { kind: 'overBudget', exceeded: reply.exceeded };
      case 'go': {
        const { kind: _kind, ...start } = reply;
        return { kind: 'go', start };
      }
    }
  }

  /**
   * Holds a task job that still waits for a dependency: back to the delayed set until the
   * resolver promotes it. The count is read again after the move: a dependency that completed in
   * between tried to promote a job that was still active, so the promotion is done here instead.
   * (Children need no such care: BullMQ runs a parent only after all of them completed.)
   */
  async hold(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined): Promise<void> {
    const { sessionId, taskId } = job.data;
    // Its status is still `waiting`: only the resolver's last wake-up marks it ready.
    await job.moveToDelayed(Date.now() + HOLD_DELAY_MS, token);
    if ((await this.store.pendingCount(tag, sessionId, taskId)) === 0) {
      await this.queues.promote(tag, job.queueName, job.id!);
    }
  }
}
