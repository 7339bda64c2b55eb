import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { REGISTRY_INCLUDES, RegistryKeys, registryKeyList } from './includes';
import source from './purge.lua';

const SCRIPT = RedisScript.fromLua(source, REGISTRY_INCLUDES);

export interface PurgeReply {
  /** How many agents were forgotten. */
  readonly forgotten: number;
}

/** Runs purge.lua: forgets agents (and revocations) silent for longer than `silentMs`. */
export async function purge(client: Redis, keys: RegistryKeys, silentMs: number): Promise<PurgeReply> {
  return { forgotten: (await SCRIPT.run(client, registryKeyList(keys), [silentMs])) as number };
}
