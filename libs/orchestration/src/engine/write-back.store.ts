import { Inject, Injectable } from '@nestjs/common';
import type { ScriptedLogEntry } from '../log/session-log.writer';
import { TaskRef } from '../plans/task-job';
import { bullJobKey, jobIds, keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { isNoScript } from '../redis/redis-script';
import { json } from '../sessions/json-fields';
import { FlowTransaction } from '../adapters/bullmq';
import { transaction } from '../adapters/ioredis';
import { decodeFinishTasks, finishTask, FinishTaskCall, FinishTaskReply, finishTasks, loadFinishTasks, sendFinishTasks } from '../sessions/scripts/finish-task';
import { isoNow } from '../runtime/iso-now';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { SessionOutputsFullError } from '../errors/errors';

/** finish-task.lua's call for a task's finish. */
function finishCall(
  tag: ShardTag,
  sessionId: string,
  taskId: string,
  outcome: { status: 'completed'; output: unknown } | { status: 'failed' | 'skipped' },
  waiters: readonly TaskRef[],
  job: FinishedJob | undefined,
  at: string,
  maxSessionBytes: number,
  log?: ScriptedLogEntry,
): FinishTaskCall {
  return {
    session: keys.session(tag, sessionId),
    taskId,
    outcome: outcome.status === 'completed' ? { status: 'completed', output: json(outcome.output) } : outcome,
    at,
    job: job && { key: bullJobKey(tag, job.queue, jobIds.task(sessionId, taskId)), keepSeconds: job.keepSeconds, hasChildren: job.hasChildren },
    log: log && { bound: log.bound, json: log.json },
    maxOutputBytes: maxSessionBytes,
    waiters: waiters.map((w) => w.id),
  };
}

/**
 * The waiters a finish left ready. A refused output (the session's outputs had no room for it,
 * nothing was written) is a {@link SessionOutputsFullError}.
 */
function readyWaiters(reply: FinishTaskReply, call: FinishTaskCall, sessionId: string, waiters: readonly TaskRef[]): TaskRef[] {
  if (!reply.refused) return reply.ready.map((i) => waiters[i]);
  const output = call.outcome.status === 'completed' ? call.outcome.output : '';
  throw new SessionOutputsFullError(sessionId, call.taskId, Buffer.byteLength(output), reply.heldBytes, call.maxOutputBytes);
}

/** A finished task's BullMQ job, to be kept for `keepSeconds` (see sessions/scripts/finish-task.lua). */
export interface FinishedJob {
  readonly queue: string;
  readonly hasChildren: boolean;
  readonly keepSeconds: number;
}

/**
 * A completed task's write-back as the hand-off sends it ahead of its job's completion (see
 * HandOff.complete): finish-task.lua's call, and how to read the reply.
 */
export interface AheadWrite {
  readonly call: FinishTaskCall;
  /** The waiters the finish left ready; throws SessionOutputsFullError when it refused the output. */
  ready(reply: FinishTaskReply): TaskRef[];
}

/** What a transaction of write-backs and promotions answered (see WriteBackStore.finishAndPromote). */
export interface FinishedAndPromoted {
  /** One per call, in order. */
  readonly finishes: FinishTaskReply[];
  /** One per promotion, in order: whether its job moved (false: it was not delayed, or Redis refused the command). */
  readonly promoted: boolean[];
}

/** A task's write-back in Redis (sessions/scripts/finish-task.lua). */
@Injectable()
export class WriteBackStore {
  constructor(
    @Inject(RedisConnections) private readonly redis: Pick<RedisConnections, 'client'>,
    @Inject(SWITCHYARD_CONFIG) private readonly config: Pick<SwitchyardConfig, 'maxSessionBytes'>,
  ) {}

  private get client() {
    return this.redis.client;
  }

  /**
   * Finishes a task and resolves its waiters (see sessions/scripts/finish-task.lua): `completed` with its output, or
   * `failed` / `skipped` without one (waiters then run without it). Answers the waiters that
   * became ready. `job`:
   * the task's BullMQ job, given `keepSeconds` to live from now. `at`: when it finished (now).
   * `log`: an entry the same script appends to the session's log. An output the session's
   * outputs have no room for (SWITCHYARD_MAX_SESSION_BYTES) is refused with
   * {@link SessionOutputsFullError}, and nothing is written.
   */
  async finishTask(
    tag: ShardTag,
    sessionId: string,
    taskId: string,
    outcome: { status: 'completed'; output: unknown } | { status: 'failed' | 'skipped' },
    waiters: readonly TaskRef[],
    options: { job?: FinishedJob; at?: string; log?: ScriptedLogEntry } = {},
  ): Promise<TaskRef[]> {
    const limit = this.config.maxSessionBytes;
    const call = finishCall(tag, sessionId, taskId, outcome, waiters, options.job, options.at ?? isoNow(), limit, options.log);
    const reply = await finishTask(this.client, call);
    return readyWaiters(reply, call, sessionId, waiters);
  }

  /** {@link finishTask}'s write-back of a completed task, to be sent with {@link finishAndPromote}. */
  completedWrite(
    tag: ShardTag,
    sessionId: string,
    taskId: string,
    output: unknown,
    waiters: readonly TaskRef[],
    job: FinishedJob,
    at: string,
    log?: ScriptedLogEntry,
  ): AheadWrite {
    const call = finishCall(tag, sessionId, taskId, { status: 'completed', output }, waiters, job, at, this.config.maxSessionBytes, log);
    return { call, ready: (reply) => readyWaiters(reply, call, sessionId, waiters) };
  }

  /**
   * Sends the write-backs of one shard (`calls`, in one finish-tasks.lua call) and then the
   * recorded `promotions` as one MULTI: Redis runs them in that order and together, so a promoted
   * job finds its dependency written back. Rejects when the transaction failed whole (nothing
   * ran) or the write-backs failed (the promotions may have run: a dependant that finds its
   * dependency pending holds itself again). With no promotions, the script call goes alone: one
   * command needs no transaction.
   */
  async finishAndPromote(calls: readonly FinishTaskCall[], promotions: FlowTransaction): Promise<FinishedAndPromoted> {
    if (promotions.size === 0) return { finishes: await finishTasks(this.client, calls), promoted: [] };
    const send = () => transaction(this.client, (client) => [sendFinishTasks(client, calls), ...promotions.sendWith(client)]);
    let replies = await send();
    if (isNoScript(replies[0][0])) {
      // Redis lost its scripts (a restart, SCRIPT FLUSH): the promotions ran, the write-backs did
      // not. Both again, once the script is back; a job promoted already answers that it is not
      // delayed, which the caller's checked promotion lets be.
      await loadFinishTasks(this.client);
      replies = await send();
    }
    const [[error, reply], ...promoted] = replies;
    if (error) throw error;
    return { finishes: decodeFinishTasks(reply), promoted: promoted.map(([failed, code]) => !failed && Number(code) >= 0) };
  }
}
