import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import source from './sweep-session-index.lua';

const SCRIPT = RedisScript.fromLua(source);

export interface SweepSessionIndexCall {
  readonly keys: {
    /** The index whose oldest entries are checked. */
    readonly index: string;
    /** Another index the expired entries leave too (the shard's, when `index` is a tenant's). */
    readonly alsoFrom?: string;
  };
  /** The prefix of the sessions' hash keys: the key of session `id` is this followed by `id`. */
  readonly sessionKeyPrefix: string;
  /** How many of the oldest entries to check. */
  readonly count: number;
}

/** Runs sweep-session-index.lua: drops the index's oldest entries whose sessions have expired; answers how many left it. */
export async function sweepSessionIndex(client: Redis, call: SweepSessionIndexCall): Promise<{ removed: number }> {
  const { index, alsoFrom } = call.keys;
  const reply = await SCRIPT.run(client, alsoFrom === undefined ? [index] : [index, alsoFrom], [call.sessionKeyPrefix, call.count]);
  return { removed: reply as number };
}
