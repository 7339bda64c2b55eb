import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { REGISTRY_INCLUDES, RegistryKeys, registryKeyList } from './includes';
import source from './register.lua';

const SCRIPT = RedisScript.fromLua(source, REGISTRY_INCLUDES);

export interface RegisterCall {
  readonly keys: RegistryKeys;
  readonly id: string;
  /** The agent's stored record, JSON. */
  readonly record: string;
  /** An agent whose last heartbeat is younger than this (ms) is live. */
  readonly ttlMs: number;
}

export type RegisterReply = { registered: true } | { registered: false; why: 'live' };

/** Runs register.lua: registers an agent over REST unless a live one has its id. */
export async function register(client: Redis, call: RegisterCall): Promise<RegisterReply> {
  const reply = await SCRIPT.run(client, registryKeyList(call.keys), [call.id, call.record, call.ttlMs]);
  return reply === 'ok' ? { registered: true } : { registered: false, why: 'live' };
}
