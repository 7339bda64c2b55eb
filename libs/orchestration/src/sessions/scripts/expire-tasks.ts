import type { Redis } from 'ioredis';
import { luaStrings } from '../../redis/lua-source';
import { RedisScript } from '../../redis/redis-script';
import { SESSION_INCLUDES } from './includes';
import expireTasksInclude from './includes/expire-tasks.lua';
import source from './expire-tasks.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

/** A BullMQ job's keys: its hash and those BullMQ keeps beside it (`<job key><suffix>`), as the scripts expire them. */
export const JOB_KEY_SUFFIXES: readonly string[] = luaStrings(expireTasksInclude, 'JOB_KEY_SUFFIXES');

/** A batch of a session's tasks to give a time to live (see includes/expire-tasks.lua). */
export interface TaskBatch {
  /** The prefixes of the tasks' hash keys and pending set keys (see keys.task, keys.pendingDeps). */
  readonly taskPrefix: string;
  readonly pendingPrefix: string;
  /** Positions in the task list; `to` -1 runs to its end. */
  readonly from: number;
  readonly to: number;
  /** The shard's BullMQ key prefix (`<tag>:`), or '' to leave the tasks' jobs as they are. */
  readonly jobPrefix: string;
  /** The prefix of the session's task job ids (see jobIds.task). */
  readonly jobIdPrefix: string;
}

/** A batch's arguments, in the scripts' order. */
export function taskBatchArgs(batch: TaskBatch): (string | number)[] {
  return [batch.taskPrefix, batch.pendingPrefix, batch.from, batch.to, batch.jobPrefix, batch.jobIdPrefix];
}

export interface ExpireTasksCall {
  /** The session's task id list. */
  readonly taskIds: string;
  readonly seconds: number;
  readonly batch: TaskBatch;
}

export interface ExpireTasksReply {
  /** How many task ids the batch found (fewer than asked: the list ended). */
  readonly found: number;
}

/** Runs expire-tasks.lua: gives a batch of a session's tasks their time to live. */
export async function expireTasks(client: Redis, call: ExpireTasksCall): Promise<ExpireTasksReply> {
  return { found: (await SCRIPT.run(client, [call.taskIds], [call.seconds, ...taskBatchArgs(call.batch)])) as number };
}
