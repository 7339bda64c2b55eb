import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { REGISTRY_INCLUDES, RegistryKeys, registryKeyList } from './includes';
import source from './unregister.lua';

const SCRIPT = RedisScript.fromLua(source, REGISTRY_INCLUDES);

export interface UnregisterReply {
  /** False when the agent is unknown. */
  readonly known: boolean;
}

/** Runs unregister.lua: removes an agent and remembers the registration it removed. */
export async function unregister(client: Redis, keys: RegistryKeys, id: string): Promise<UnregisterReply> {
  return { known: (await SCRIPT.run(client, registryKeyList(keys), [id])) === 1 };
}
