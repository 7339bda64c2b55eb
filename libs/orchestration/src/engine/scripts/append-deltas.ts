import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { SESSION_INCLUDES } from '../../sessions/scripts/includes';
import source from './append-deltas.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

/** A batch of one task attempt's deltas (see append-deltas.lua). */
export interface AppendDeltasCall {
  /** The session's hash. */
  readonly session: string;
  readonly taskId: string;
  readonly attempt: number;
  /** The seq of the first of `texts`. */
  readonly firstSeq: number;
  /** Most deltas the task may store, over all its attempts. */
  readonly cap: number;
  readonly texts: readonly string[];
}

export interface AppendDeltasReply {
  /** How many of `texts` were appended (the rest were dropped: over the cap, or the session ended). */
  readonly stored: number;
  /** This call appended the task's one marker of dropped deltas. */
  readonly marked: boolean;
}

/** Runs append-deltas.lua: appends a batch of deltas to the session's event stream, up to the task's cap. */
export async function appendDeltas(client: Redis, call: AppendDeltasCall): Promise<AppendDeltasReply> {
  const [stored, marked] = (await SCRIPT.run(client, [call.session], [call.taskId, call.attempt, call.firstSeq, call.cap, ...call.texts])) as [number, number];
  return { stored, marked: marked === 1 };
}
