import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { STATE_INCLUDES } from './includes';
import type { ReadEntriesCall } from './read-entries';
import source from './acquire-and-read.lua';

const SCRIPT = RedisScript.fromLua(source, STATE_INCLUDES);

export interface AcquireAndReadCall {
  /** Redlock's lock keys, all to be free, then set to the token. */
  readonly lockKeys: readonly string[];
  readonly token: string | number;
  readonly ttlMs: string | number;
  /** The entries read once the lock is granted (read-entries.lua's layout). */
  readonly read: ReadEntriesCall;
}

/** Granted with the entries' stored values (null for one not stored), or not (a lock key was taken). */
export type AcquireAndReadReply = { granted: true; locks: number; values: (string | null)[] } | { granted: false };

/** Runs acquire-and-read.lua: Redlock's acquire of several keys, and a read when granted. */
export async function acquireAndRead(client: Redis, call: AcquireAndReadCall): Promise<AcquireAndReadReply> {
  const { lockKeys, read } = call;
  const reply = (await SCRIPT.run(client, [...lockKeys, ...read.keys], [call.token, call.ttlMs, lockKeys.length, ...read.fields])) as [
    number,
    ...(string | null)[],
  ];
  const [locks, ...values] = reply;
  return locks === 0 ? { granted: false } : { granted: true, locks, values };
}
