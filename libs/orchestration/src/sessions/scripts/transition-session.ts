import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import type { SessionStatus } from '../session.types';
import { SESSION_INCLUDES } from './includes';
import source from './transition-session.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

export interface TransitionSessionCall {
  /** The session's hash and its event stream. */
  readonly keys: { readonly session: string; readonly events: string };
  /** The statuses the session may be in; it is left as it is in any other. */
  readonly from: readonly SessionStatus[];
  readonly to: SessionStatus;
  /** The session's updatedAt, and the event's time (ISO 8601). */
  readonly at: string;
  /** Set on the session with its status (a `result` or `error` field is JSON, and goes into the event). */
  readonly fields?: Readonly<Record<string, string>>;
}

export type TransitionSessionReply = { moved: true } | { moved: false; why: 'missing' | 'not-allowed' };

/** Runs transition-session.lua: moves a session from one of the given statuses to another. */
export async function transitionSession(client: Redis, call: TransitionSessionCall): Promise<TransitionSessionReply> {
  const args = [call.from.join(','), call.to, 'updatedAt', call.at, ...Object.entries(call.fields ?? {}).flat()];
  const reply = await SCRIPT.run(client, [call.keys.session, call.keys.events], args);
  if (reply === 1) return { moved: true };
  return { moved: false, why: reply === -1 ? 'missing' : 'not-allowed' };
}
