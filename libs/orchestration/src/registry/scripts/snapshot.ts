import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { hashReply } from '../../adapters/ioredis';
import { RegistryKeys } from './includes';
import source from './snapshot.lua';

const SCRIPT = RedisScript.fromLua(source);

/** The registry's hashes at one instant, by agent id, and Redis' time then (ms). */
export interface RegistrySnapshot {
  readonly agents: Record<string, string>;
  readonly heartbeats: Record<string, string>;
  readonly loads: Record<string, string>;
  readonly statuses: Record<string, string>;
  readonly nowMs: number;
}

/** Runs snapshot.lua (read-only, so it runs while Redis is out of memory). */
export async function snapshot(client: Redis, keys: RegistryKeys): Promise<RegistrySnapshot> {
  const reply = (await SCRIPT.run(client, [keys.agents, keys.heartbeats, keys.loads, keys.statuses], [])) as unknown[];
  const [agents, heartbeats, loads, statuses] = reply.slice(0, 4).map(hashReply);
  const [seconds, micros] = reply[4] as [string, string];
  return { agents, heartbeats, loads, statuses, nowMs: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) };
}
