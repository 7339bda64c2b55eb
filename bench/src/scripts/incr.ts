import type { Redis } from 'ioredis';
import source from './incr.lua';

/**
 * Loads incr.lua on `redis` (SCRIPT LOAD) and answers a function that runs it by SHA (EVALSHA,
 * nothing more: the ceiling the state's own scripts are measured against). It answers the
 * counter's new value.
 */
export async function loadIncr(redis: Redis): Promise<(key: string) => Promise<number>> {
  const sha = (await redis.script('LOAD', source)) as string;
  // The promise EVALSHA answers, as it is: no wrapper of ours in what the ceiling measures.
  return (key) => redis.evalsha(sha, 1, key) as Promise<number>;
}
