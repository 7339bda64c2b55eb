import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { REGISTRY_INCLUDES } from '../../registry/scripts/includes';
import source from './claim.lua';

const SCRIPT = RedisScript.fromLua(source, REGISTRY_INCLUDES);

export interface ClaimCall {
  /** The pending lists the agent polls, in the order it prefers them. */
  readonly pendingKeys: readonly string[];
  readonly parkBase: string;
  readonly agentId: string;
  readonly capabilities: readonly string[];
  readonly agentType: string;
  readonly secret: string;
  readonly leaseMs: number;
  readonly keepMs: number;
}

export interface Claimed {
  readonly parkId: string;
  /** The task as the agent sees it, JSON. */
  readonly task: string;
  /** When the lease lapses (epoch ms, Redis' clock). */
  readonly expiresAt: number;
}

/** Runs claim.lua: the oldest parked task the agent can take, under a new lease; `undefined` when none. */
export async function claim(client: Redis, call: ClaimCall): Promise<Claimed | undefined> {
  const args = [call.parkBase, call.agentId, JSON.stringify(call.capabilities), call.agentType, call.secret, call.leaseMs, call.keepMs];
  const reply = (await SCRIPT.run(client, call.pendingKeys, args)) as [string, string, number] | null;
  return reply ? { parkId: reply[0], task: reply[1], expiresAt: Number(reply[2]) } : undefined;
}
