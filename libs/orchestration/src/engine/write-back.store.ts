import { Inject, Injectable } from '@nestjs/common';
import type { ScriptedLogEntry } from '../log/session-log.writer';
import { TaskRef } from '../plans/task-job';
import { bullJobKey, jobIds, keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { TickBatcher } from '../redis/tick-batcher';
import { json } from '../sessions/json-fields';
import { FINISH_TASK, FINISH_TASKS } from '../sessions/session-scripts';
import { isoNow } from '../runtime/iso-now';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { SessionOutputsFullError } from '../errors/errors';

/** The keys and arguments of one script call (one task's, in a batch). */
interface ScriptCall {
  readonly keys: string[];
  readonly args: (string | number)[];
}

/** The keys and arguments of a batch script (see batchOf in session-scripts.ts) running `calls`. */
function batchCall(calls: readonly ScriptCall[]): ScriptCall {
  const keys: string[] = [];
  const args: (string | number)[] = [];
  for (const call of calls) {
    keys.push(...call.keys);
    args.push(call.keys.length, call.args.length, ...call.args);
  }
  return { keys, args };
}

/** FINISH_TASK's keys and arguments (see session-scripts.ts). */
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
): ScriptCall {
  const scriptKeys = [keys.session(tag, sessionId)];
  const output = outcome.status === 'completed' ? json(outcome.output) : '';
  const args = [
    taskId,
    output,
    at,
    outcome.status,
    job ? bullJobKey(tag, job.queue, jobIds.task(sessionId, taskId)) : '',
    job?.keepSeconds ?? 0,
    job?.hasChildren ? '1' : '0',
    log?.bound ?? 0,
    log?.json ?? '',
    maxSessionBytes,
    ...waiters.map((w) => w.id),
  ];
  return { keys: scriptKeys, args };
}

/**
 * FINISH_TASK's answer to `call`: the waiters it left ready. It refused the output (`{0, bytes
 * held}`: the session's outputs had no room for it, nothing was written) with
 * {@link SessionOutputsFullError}.
 */
function readyWaiters(reply: number[], call: ScriptCall, sessionId: string, waiters: readonly TaskRef[], maxSessionBytes: number): TaskRef[] {
  if (reply[0] !== 0) return reply.map((i) => waiters[i - 1]);
  const [taskId, output] = call.args as string[];
  throw new SessionOutputsFullError(sessionId, taskId, Buffer.byteLength(output), reply[1], maxSessionBytes);
}

/** A finished task's BullMQ job, to be kept for `keepSeconds` (see FINISH_TASK). */
export interface FinishedJob {
  readonly queue: string;
  readonly hasChildren: boolean;
  readonly keepSeconds: number;
}

/**
 * A task's write-back in Redis (FINISH in session-scripts.ts), with the write-backs sent ahead of
 * their jobs' completion gathered per tick and shard so that the tasks finishing together cost
 * one call.
 */
@Injectable()
export class WriteBackStore {
  /**
   * The write-backs sent ahead of their jobs' completion (see {@link finishAhead}) in one tick go
   * to Redis as one script call per shard, each sent once (RedisScript.send), so that it goes out
   * before the command its caller sends next.
   */
  private readonly aheadFinishes = new TickBatcher<ShardTag, ScriptCall, number[]>(async (_tag, batch) => {
    if (batch.length === 1) return [(await FINISH_TASK.send(this.client, batch[0].keys, batch[0].args)) as number[]];
    const { keys: scriptKeys, args } = batchCall(batch);
    return (await FINISH_TASKS.send(this.client, scriptKeys, args)) as number[][];
  });

  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) private readonly config: Pick<SwitchyardConfig, 'maxSessionBytes'>,
  ) {}

  private get client() {
    return this.redis.client;
  }

  /**
   * Finishes a task and resolves its waiters (see FINISH_TASK): `completed` with its output, or
   * `failed` / `skipped` without one (waiters then run without it). Answers the waiters that
   * became ready. `ordered`: the script goes out before this call returns and is not sent again
   * (a NOSCRIPT rejects, see RedisScript.send), so the caller's next command on the connection
   * runs after it. `job`:
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
    options: { ordered?: boolean; job?: FinishedJob; at?: string; log?: ScriptedLogEntry } = {},
  ): Promise<TaskRef[]> {
    const limit = this.config.maxSessionBytes;
    const call = finishCall(tag, sessionId, taskId, outcome, waiters, options.job, options.at ?? isoNow(), limit, options.log);
    // Ordered: sent now and never again, so Redis runs it before whatever the caller sends next.
    const reply = (await (options.ordered
      ? FINISH_TASK.send(this.client, call.keys, call.args)
      : FINISH_TASK.run(this.client, call.keys, call.args))) as number[];
    return readyWaiters(reply, call, sessionId, waiters, limit);
  }

  /**
   * {@link finishTask} for a task whose job completes without waiting for the answer: the
   * write-backs of the tasks that finish in one tick go out as one script call, sent once (see
   * RedisScript.send). `sent` resolves once it is on the connection, so a command sent after that (the
   * job's completion) runs after it in Redis; `ready` is finishTask's answer (or its refusal).
   */
  finishAhead(
    tag: ShardTag,
    sessionId: string,
    taskId: string,
    output: unknown,
    waiters: readonly TaskRef[],
    job: FinishedJob,
    at: string,
    log?: ScriptedLogEntry,
  ): { sent: Promise<void>; ready: Promise<TaskRef[]> } {
    const limit = this.config.maxSessionBytes;
    const call = finishCall(tag, sessionId, taskId, { status: 'completed', output }, waiters, job, at, limit, log);
    const reply = this.aheadFinishes.add(tag, call);
    return { sent: this.aheadFinishes.sent(), ready: reply.then((ready) => readyWaiters(ready, call, sessionId, waiters, limit)) };
  }
}
