import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { SESSION_INCLUDES } from './includes';
import { ExpireTasksReply, TaskBatch, taskBatchArgs } from './expire-tasks';
import source from './expire-session.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

export interface ExpireSessionCall {
  readonly keys: {
    /** The session's task id list. */
    readonly taskIds: string;
    /** The state index (the keys of the state's entries). */
    readonly stateIndex: string;
    /** Keys that get the retention (the session's own, its root and planning jobs'). */
    readonly retained: readonly string[];
    /** The state's fixed keys, which get at most the retention. */
    readonly stateFixed: readonly string[];
  };
  readonly seconds: number;
  /** The first batch of the session's tasks. */
  readonly batch: TaskBatch;
}

/** Runs expire-session.lua: gives a finished session's keys, and its first batch of tasks, their time to live. */
export async function expireSession(client: Redis, call: ExpireSessionCall): Promise<ExpireTasksReply> {
  const { taskIds, stateIndex, retained, stateFixed } = call.keys;
  const reply = await SCRIPT.run(client, [taskIds, stateIndex, ...retained, ...stateFixed], [call.seconds, retained.length, ...taskBatchArgs(call.batch)]);
  return { found: reply as number };
}
