import type { Redis } from 'ioredis';
import { luaStrings } from '../../redis/lua-source';
import { RedisScript } from '../../redis/redis-script';
import { SESSION_INCLUDES } from './includes';
import finishInclude from './includes/finish.lua';
import oneSource from './finish-task.lua';
import batchSource from './finish-tasks.lua';

const ONE = RedisScript.fromLua(oneSource, SESSION_INCLUDES);
const BATCH = RedisScript.fromLua(batchSource, SESSION_INCLUDES);

/** The keys BullMQ keeps beside a parent's job, about its children, which a finish keeps as long as the job. */
export const JOB_CHILDREN_SUFFIXES: readonly string[] = luaStrings(finishInclude, 'JOB_CHILDREN_SUFFIXES');

export interface FinishTaskCall {
  /** The session's hash (the task's keys and its waiters' are built from it). */
  readonly session: string;
  readonly taskId: string;
  /** Completed with its output (JSON), or failed / skipped without one. */
  readonly outcome: { readonly status: 'completed'; readonly output: string } | { readonly status: 'failed' | 'skipped' };
  /** When it finished (ISO 8601). */
  readonly at: string;
  /** The task's BullMQ job (its key), kept `keepSeconds` from now, with its children's keys if it has any. */
  readonly job?: { readonly key: string; readonly keepSeconds: number; readonly hasChildren: boolean };
  /** A log entry appended in the same step, and the log's bound. */
  readonly log?: { readonly bound: number; readonly json: string };
  /** The most bytes the session's stored outputs may take. */
  readonly maxOutputBytes: number;
  /** The ids of the tasks waiting on it (dependants and parent). */
  readonly waiters: readonly string[];
}

/** The waiters left ready (indexes into the call's `waiters`), or a refused output and what the outputs held. */
export type FinishTaskReply = { refused: false; ready: number[] } | { refused: true; heldBytes: number };

/** finish-task.lua's arguments for `call`. */
function args(call: FinishTaskCall): (string | number)[] {
  const { job, log } = call;
  return [
    call.taskId,
    call.outcome.status === 'completed' ? call.outcome.output : '',
    call.at,
    call.outcome.status,
    job?.key ?? '',
    job?.keepSeconds ?? 0,
    job?.hasChildren ? '1' : '0',
    log?.bound ?? 0,
    log?.json ?? '',
    call.maxOutputBytes,
    ...call.waiters,
  ];
}

function decode(reply: number[]): FinishTaskReply {
  if (reply[0] === 0) return { refused: true, heldBytes: reply[1] };
  return { refused: false, ready: reply.map((i) => i - 1) };
}

/** Runs finish-task.lua: finishes a task and wakes its waiters. */
export async function finishTask(client: Redis, call: FinishTaskCall): Promise<FinishTaskReply> {
  return decode((await ONE.run(client, [call.session], args(call))) as number[]);
}

/** finish-tasks.lua's keys and arguments for `calls`. */
function batchArgs(calls: readonly FinishTaskCall[]): { keys: string[]; flat: (string | number)[] } {
  const keys: string[] = [];
  const flat: (string | number)[] = [];
  for (const call of calls) {
    const own = args(call);
    keys.push(call.session);
    flat.push(1, own.length, ...own);
  }
  return { keys, flat };
}

/**
 * Sends finish-tasks.lua for `calls` inside a transaction (see `transaction` in the ioredis
 * adapter), by its SHA: its reply comes with EXEC's, to be read with {@link decodeFinishTasks}. A
 * NOSCRIPT reply (Redis lost its scripts) is met with {@link loadFinishTasks} and a second try.
 */
export function sendFinishTasks(client: Redis, calls: readonly FinishTaskCall[]): Promise<unknown> {
  const { keys, flat } = batchArgs(calls);
  return BATCH.sendSha(client, keys, flat);
}

/** Runs finish-tasks.lua for `calls` on its own (no transaction): one {@link FinishTaskReply} per call. */
export async function finishTasks(client: Redis, calls: readonly FinishTaskCall[]): Promise<FinishTaskReply[]> {
  const { keys, flat } = batchArgs(calls);
  return decodeFinishTasks(await BATCH.run(client, keys, flat));
}

/** Loads finish-tasks.lua into Redis, for {@link sendFinishTasks} once Redis answered NOSCRIPT. */
export function loadFinishTasks(client: Redis): Promise<void> {
  return BATCH.load(client);
}

/** finish-tasks.lua's reply, one {@link FinishTaskReply} per call. */
export function decodeFinishTasks(reply: unknown): FinishTaskReply[] {
  return (reply as number[][]).map(decode);
}
