import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import type { TaskStatus } from '../session.types';
import { SESSION_INCLUDES } from './includes';
import source from './set-task-status.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

export interface SetTaskStatusCall {
  /** The task's hash and the session's event stream. */
  readonly keys: { readonly task: string; readonly events: string };
  readonly taskId: string;
  readonly status: TaskStatus;
  /** The event's time (ISO 8601). */
  readonly at: string;
  /** Set on the task with its status. */
  readonly fields?: Readonly<Record<string, string>>;
}

export type SetTaskStatusReply = { set: true } | { set: false; why: 'missing' | 'finished' };

/** Runs set-task-status.lua: sets a task's status unless it is gone or finished. */
export async function setTaskStatus(client: Redis, call: SetTaskStatusCall): Promise<SetTaskStatusReply> {
  const args = [call.taskId, call.status, call.at, ...Object.entries(call.fields ?? {}).flat()];
  const reply = await SCRIPT.run(client, [call.keys.task, call.keys.events], args);
  if (reply === 1) return { set: true };
  return { set: false, why: reply === -1 ? 'missing' : 'finished' };
}
