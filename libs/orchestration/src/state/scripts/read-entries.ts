import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { STATE_INCLUDES } from './includes';
import source from './read-entries.lua';

const SCRIPT = RedisScript.fromLua(source, STATE_INCLUDES);

/** Entries to read: the hash key and field of each, in the same order. */
export interface ReadEntriesCall {
  readonly keys: readonly string[];
  readonly fields: readonly string[];
}

/** Each entry's stored value (`<version>:<json>`, see stored-value.ts), null for one not stored. */
export interface ReadEntriesReply {
  readonly values: (string | null)[];
}

/** Runs read-entries.lua: reads entries atomically. */
export async function readEntries(client: Redis, call: ReadEntriesCall): Promise<ReadEntriesReply> {
  return { values: (await SCRIPT.run(client, call.keys, call.fields)) as (string | null)[] };
}
