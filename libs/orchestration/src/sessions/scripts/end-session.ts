import type { Redis } from 'ioredis';
import { luaStrings } from '../../redis/lua-source';
import { RedisScript } from '../../redis/redis-script';
import type { SessionStatus } from '../session.types';
import { SESSION_INCLUDES } from './includes';
import source from './end-session.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

/**
 * The statuses of a task that has not started, which ending a session cancels: read from
 * end-session.lua, where they live, so that the script and its callers cannot disagree.
 */
export const IDLE_TASK_STATUSES: readonly string[] = luaStrings(source, 'IDLE_TASK_STATUSES');

export interface EndSessionCall {
  /** The session's hash, its event stream and its task id list. */
  keys: { session: string; events: string; taskIds: string };
  /** The statuses the session may be in; it is left as it is in any other. */
  from: readonly SessionStatus[];
  to: SessionStatus;
  /** The session's updatedAt and the cancelled tasks' finishedAt (ISO 8601). */
  at: string;
  /** Set on the session with its status (an `error` field is JSON). */
  fields?: Readonly<Record<string, string>>;
}

export type EndSessionReply = { ended: true; cancelled: string[] } | { ended: false; why: 'missing' | 'not-allowed' };

/** Runs end-session.lua: ends the session and cancels its tasks that had not started, in one step. */
export async function endSession(client: Redis, call: EndSessionCall): Promise<EndSessionReply> {
  const { session, events, taskIds } = call.keys;
  const args = [call.from.join(','), call.to, call.at, ...Object.entries(call.fields ?? {}).flat()];
  const reply = await SCRIPT.run(client, [session, events, taskIds], args);
  if (Array.isArray(reply)) return { ended: true, cancelled: reply as string[] };
  return { ended: false, why: reply === -1 ? 'missing' : 'not-allowed' };
}
