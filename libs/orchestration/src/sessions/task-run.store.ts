import { Inject, Injectable } from '@nestjs/common';
import type { ScriptedLogEntry } from '../log/session-log.writer';
import { TaskRef } from '../plans/task-job';
import { bullJobKey, jobIds, keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { TickBatcher } from '../redis/tick-batcher';
import { decodeStored } from '../state/stored-value';
import { json, parse } from './json-fields';
import { finishTask, FinishTaskCall, FinishTaskReply, finishTasks } from './scripts/finish-task';
import { BEGIN_TASK, BEGIN_TASKS } from './session-scripts';
import { DEFAULT_TENANT, SessionStatus, WorkerIdentity } from './session.types';
import { isoNow } from '../runtime/iso-now';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { SessionOutputsFullError } from '../errors/errors';

/** What a task's start found (see {@link TaskRunStore.beginTask}). */
export interface TaskBeginning {
  readonly status?: SessionStatus;
  /** The task still waits for a dependency. */
  readonly hold: boolean;
  /** The task's run already completed, with this output: only its wake-ups may be missing. */
  readonly done?: { readonly output: unknown };
  readonly goal?: string;
  /** Which run this is, when the task was marked running. */
  readonly attempt?: number;
  readonly shared?: Record<string, unknown>;
  readonly dependencies?: Record<string, unknown>;
  /** When the task last became ready (ISO), if recorded. */
  readonly readyAt?: string;
  /** The session's tenant, when the task may go. */
  readonly tenant?: string;
  /** The bytes the session's stored outputs took when the task started (see scripts/finish-task.lua). */
  readonly outputBytes?: number;
}

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

/** What BEGIN_TASK answers for one task (see session-scripts.ts). */
type BeginReply = [string | null, string?, string?, number?, string[]?, (string | null)[]?, string?, string?, number?];

/** A finished task's BullMQ job, to be kept for `keepSeconds` (see scripts/finish-task.lua). */
export interface FinishedJob {
  readonly queue: string;
  readonly hasChildren: boolean;
  readonly keepSeconds: number;
}

/**
 * A task run's start and write-back in Redis (BEGIN in session-scripts.ts, scripts/finish-task.lua): the two
 * script calls every task makes, gathered per tick and shard so that the tasks starting (or
 * finishing) together cost one call.
 */
@Injectable()
export class TaskRunStore {
  /**
   * The starts of the tasks that begin in one tick go to Redis as one BEGIN_TASKS call per shard:
   * jobs arrive in batches (BullMQ hands out the next job with each completion, and their replies
   * come in packets), and one script call per task cost each start a command of its own.
   */
  private readonly starts = new TickBatcher<ShardTag, ScriptCall, BeginReply>(async (_tag, batch) => {
    if (batch.length === 1) return [(await BEGIN_TASK.run(this.client, batch[0].keys, batch[0].args)) as BeginReply];
    const { keys: scriptKeys, args } = batchCall(batch);
    const replies = (await BEGIN_TASKS.run(this.client, scriptKeys, args)) as BeginReply[];
    // A session's shared state comes with its first task of the batch only.
    const shared = new Map<string, string[]>();
    replies.forEach((reply, i) => {
      if (reply[1] !== 'go') return;
      const session = batch[i].keys[0];
      if (reply[4]) shared.set(session, reply[4]);
      else reply[4] = shared.get(session);
    });
    return replies;
  });

  /**
   * Likewise the write-backs sent ahead of their jobs' completion (see {@link finishAhead}), each
   * sent once (RedisScript.send), so that it goes out before the command its caller sends next.
   */
  private readonly aheadFinishes = new TickBatcher<ShardTag, FinishTaskCall, FinishTaskReply>((_tag, batch) => finishTasks(this.client, batch));

  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) private readonly config: Pick<SwitchyardConfig, 'maxSessionBytes'>,
  ) {}

  private get client() {
    return this.redis.client;
  }

  /**
   * Everything a task's run needs before it starts, in one script: the session's status and goal,
   * whether the task must still wait, the shared context and the outputs of the tasks whose
   * results it receives. With `run`, it also marks the task running (counting the run) and a
   * pending session running, all or nothing; `started` is the log entry that says so (its number
   * the attempt), appended by the same script. See BEGIN_TASK.
   */
  async beginTask(
    tag: ShardTag,
    sessionId: string,
    taskId: string,
    inputFrom: readonly string[],
    run?: { agentId: string; worker: WorkerIdentity; started?: ScriptedLogEntry },
  ): Promise<TaskBeginning> {
    const now = isoNow();
    const started = run?.started;
    const reply = await this.starts.add(tag, {
      keys: [keys.session(tag, sessionId)],
      args: [
        run ? '1' : '0',
        run?.agentId ?? '',
        json(run?.worker),
        now,
        json(inputFrom),
        taskId,
        started?.bound ?? 0,
        started?.json ?? '',
        started?.tail ?? '',
        ...inputFrom,
      ],
    });
    // The third slot is the goal when the task may go, its stored output when it was done.
    const [status, step, goalOrOutput, attempt, sharedFlat, outputs, readyAt, tenant, outputBytes] = reply;
    if (step === 'done') return { status: status as SessionStatus, hold: false, done: { output: parse(goalOrOutput) ?? null } };
    if (!status || step !== 'go') return { status: (status ?? undefined) as SessionStatus | undefined, hold: step === 'hold' };
    const shared: Record<string, unknown> = {};
    for (let i = 0; i < (sharedFlat ?? []).length; i += 2) shared[sharedFlat![i]] = decodeStored(sharedFlat![i + 1]).value;
    const dependencies: Record<string, unknown> = {};
    inputFrom.forEach((id, i) => {
      const value = outputs?.[i];
      if (value !== null && value !== undefined) dependencies[id] = parse(value);
    });
    return {
      status: status as SessionStatus,
      hold: false,
      goal: goalOrOutput || undefined,
      attempt: attempt || undefined,
      shared,
      dependencies,
      readyAt: readyAt || undefined,
      tenant: tenant || DEFAULT_TENANT,
      outputBytes: outputBytes ?? 0,
    };
  }

  /**
   * Finishes a task and resolves its waiters (see scripts/finish-task.lua): `completed` with its output, or
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
    const reply = await finishTask(this.client, call, options.ordered ? 'send' : 'run');
    return readyWaiters(reply, call, sessionId, waiters);
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
    return { sent: this.aheadFinishes.sent(), ready: reply.then((ready) => readyWaiters(ready, call, sessionId, waiters)) };
  }
}
