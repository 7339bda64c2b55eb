import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import source from './fair-turns.lua';

const SCRIPT = RedisScript.fromLua(source);

/** What one tenant asks of the fair-share clock: `count` turns of its new task jobs. */
export interface FairTurnsCall {
  readonly tenant: string;
  readonly count: number;
  /** One turn of a tenant of weight 1 (ms). */
  readonly turnMs: number;
  readonly weight: number;
  readonly maxPriority: number;
}

/** The turns reserved: the first one starts at `start`; priorities count turns from `epoch` (epoch ms). */
export interface FairTurns {
  readonly start: number;
  readonly epoch: number;
  readonly now: number;
}

/** Runs fair-turns.lua on the deployment's fair-share hash (`key`, see fairKeys). */
export async function reserveFairTurns(client: Redis, key: string, call: FairTurnsCall): Promise<FairTurns> {
  const reply = (await SCRIPT.run(client, [key], [call.tenant, call.count, call.turnMs, call.weight, call.maxPriority])) as string[];
  return { start: Number(reply[0]), epoch: Number(reply[1]), now: Number(reply[2]) };
}
