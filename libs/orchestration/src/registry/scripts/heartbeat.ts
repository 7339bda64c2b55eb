import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { REGISTRY_INCLUDES, RegistryKeys, registryKeyList } from './includes';
import source from './heartbeat.lua';

const SCRIPT = RedisScript.fromLua(source, REGISTRY_INCLUDES);

/** One agent's renewal, as heartbeat.lua takes it. */
export interface HeartbeatAgent {
  readonly id: string;
  /** The agent's stored record, JSON. */
  readonly record: string;
  readonly load: number;
  readonly status: 'active' | 'draining';
  /** The registration this process made (an id revoked for it stays revoked). */
  readonly registeredAt: string;
}

export interface HeartbeatCall {
  readonly keys: RegistryKeys;
  readonly agents: readonly HeartbeatAgent[];
}

export interface HeartbeatReply {
  /** The agents unregistered over REST, which were not renewed. */
  readonly revoked: string[];
}

/** Runs heartbeat.lua: renews a worker's agents in one step. */
export async function heartbeat(client: Redis, call: HeartbeatCall): Promise<HeartbeatReply> {
  const args = call.agents.flatMap((a) => [a.id, a.record, a.load, a.status, a.registeredAt]);
  return { revoked: (await SCRIPT.run(client, registryKeyList(call.keys), args)) as string[] };
}
