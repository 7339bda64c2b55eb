import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import source from './rate-limit-hit.lua';

const SCRIPT = RedisScript.fromLua(source);

export interface RateLimitHitCall {
  /** The client's counter; its block marker is the same key with `:blocked`. */
  readonly counter: string;
  readonly windowMs: number;
  readonly limit: number;
  readonly blockMs: number;
}

export interface RateLimitHitReply {
  readonly hits: number;
  /** What is left of the window (ms). */
  readonly windowLeftMs: number;
  /** What is left of the client's block (ms); zero or less when it is not blocked. */
  readonly blockLeftMs: number;
}

/** Runs rate-limit-hit.lua: counts one request of a client. */
export async function rateLimitHit(client: Redis, call: RateLimitHitCall): Promise<RateLimitHitReply> {
  const reply = (await SCRIPT.run(client, [call.counter, `${call.counter}:blocked`], [call.windowMs, call.limit, call.blockMs])) as number[];
  const [hits, windowLeftMs, blockLeftMs] = reply;
  return { hits, windowLeftMs, blockLeftMs };
}
