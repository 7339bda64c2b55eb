import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { REGISTRY_INCLUDES } from '../../registry/scripts/includes';
import source from './watch.lua';

const SCRIPT = RedisScript.fromLua(source, REGISTRY_INCLUDES);

export type WatchReply =
  | { readonly state: 'pending' | 'gone' }
  | { readonly state: 'claimed' | 'lost'; readonly agentId: string }
  | { readonly state: 'settled'; readonly agentId: string; readonly outcome: string };

/** Runs watch.lua: renews a park, or takes its outcome, or ends its lapsed lease. */
export async function watch(client: Redis, parkKey: string, keepMs: number): Promise<WatchReply> {
  const reply = (await SCRIPT.run(client, [parkKey], [keepMs])) as string[];
  switch (reply[0]) {
    case 'settled':
      return { state: 'settled', agentId: reply[1], outcome: reply[2] };
    case 'claimed':
    case 'lost':
      return { state: reply[0], agentId: reply[1] };
    default:
      return { state: reply[0] as 'pending' | 'gone' };
  }
}
