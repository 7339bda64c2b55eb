import type { Redis } from 'ioredis';

/**
 * The keys BullMQ keeps for a queue whose jobs are removed as they complete, other than the jobs'
 * own: its id counter, its meta hash, its event stream, its marker and its lists. `stalled-check`
 * is left alone: BullMQ gives it a time to live of its own, the interval of its stalled check.
 */
export const QUEUE_KEY_SUFFIXES = ['id', 'meta', 'events', 'marker', 'wait', 'active', 'prioritized', 'pc'] as const;

/**
 * Gives a queue's own keys (see {@link QUEUE_KEY_SUFFIXES}) a time to live, so that a queue whose
 * owner died without cleaning up goes by itself; its owner renews it while alive. One round trip.
 */
export async function expireQueueKeys(client: Redis, qualifiedName: string, seconds: number): Promise<void> {
  const pipeline = client.pipeline();
  for (const suffix of QUEUE_KEY_SUFFIXES) pipeline.expire(`${qualifiedName}:${suffix}`, seconds);
  await pipeline.exec();
}
