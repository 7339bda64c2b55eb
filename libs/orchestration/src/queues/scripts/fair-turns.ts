import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import source from './fair-turns.lua';

const SCRIPT = RedisScript.fromLua(source);

/** How many of a submission's jobs have one priority class (a BullMQ priority: lower is more urgent). */
export interface ClassCount {
  readonly priority: number;
  readonly count: number;
}

/** What one tenant asks of the fair-share clock: turns for its new task jobs, by priority class. */
export interface FairTurnsCall {
  readonly tenant: string;
  /** The submission's classes, each once, most urgent (lowest) first. */
  readonly classes: readonly ClassCount[];
  /** One turn of a tenant of weight 1 (ms). */
  readonly turnMs: number;
  readonly weight: number;
  readonly maxPriority: number;
  /** The most finish times kept for one tenant (see fair-turns.lua). */
  readonly maxClasses: number;
}

/** The turns reserved: each class's first job starts at `starts[i]` (of `classes[i]`); priorities count turns from `epoch` (epoch ms). */
export interface FairTurns {
  readonly starts: readonly number[];
  readonly epoch: number;
  readonly now: number;
}

/** Runs fair-turns.lua on the deployment's fair-share hash (`key`, see fairKeys). */
export async function reserveFairTurns(client: Redis, key: string, call: FairTurnsCall): Promise<FairTurns> {
  const args = [call.tenant, call.turnMs, call.weight, call.maxPriority, call.maxClasses, ...call.classes.flatMap((c) => [c.priority, c.count])];
  const reply = (await SCRIPT.run(client, [key], args)) as string[];
  return { epoch: Number(reply[0]), now: Number(reply[1]), starts: reply.slice(2).map(Number) };
}
