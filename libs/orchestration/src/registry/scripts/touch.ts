import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { REGISTRY_INCLUDES, RegistryKeys } from './includes';
import source from './touch.lua';

const SCRIPT = RedisScript.fromLua(source, REGISTRY_INCLUDES);

export interface TouchCall {
  readonly keys: RegistryKeys;
  readonly id: string;
  /** The agent's load now; absent keeps the stored one. */
  readonly load?: number;
}

export interface TouchReply {
  /** False when the agent is unknown. */
  readonly known: boolean;
}

/** Runs touch.lua: renews an agent registered over REST. */
export async function touch(client: Redis, call: TouchCall): Promise<TouchReply> {
  const { agents, heartbeats, loads } = call.keys;
  const reply = await SCRIPT.run(client, [agents, heartbeats, loads], [call.id, call.load === undefined ? '' : call.load]);
  return { known: reply === 1 };
}
