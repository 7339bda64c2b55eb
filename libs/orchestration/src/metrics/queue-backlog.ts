import type { Redis } from 'ioredis';
import { QueueBacklogReading, readQueueBacklog } from '../adapters/bullmq';
import { jobIds, keys, ShardTag } from '../redis/keys';

/** The backlog of one capability's queue in one shard, as /metrics exports it. */
export interface BacklogRow {
  readonly capability: string;
  /** The shard's index (its tag is `{<prefix>-<index>}`). */
  readonly shard: number;
  /** Jobs a worker could take now: waiting + prioritized + delayed and due. */
  readonly backlog: number;
  /** How long the job that has waited longest has waited, in seconds; 0 when none waits. */
  readonly oldestWaitingSeconds: number;
}

/** A queue of one shard to read: its tag and index, the capability, and BullMQ's qualified name. */
export interface BacklogQueue {
  readonly tag: ShardTag;
  readonly shard: number;
  readonly capability: string;
  readonly qualifiedName: string;
}

/**
 * Since when each candidate job has waited: since it was added, or since its task last became
 * ready when that is later (a task held for its dependencies waits from then, not from the start
 * of its session). Read from the task's record in the session; one round trip for all of them.
 */
async function waitingSince(client: Redis, tag: ShardTag, reading: QueueBacklogReading): Promise<number[]> {
  const tasks = reading.candidates.map(({ jobId }) => jobIds.parse(jobId));
  const readyAt = await Promise.all(
    tasks.map((ids) => (ids?.taskId ? client.hget(keys.task(tag, ids.sessionId, ids.taskId), 'readyAt') : Promise.resolve(null))),
  );
  return reading.candidates.map(({ addedAt }, i) => {
    const ready = readyAt[i] ? Date.parse(readyAt[i]!) : NaN;
    return Number.isFinite(ready) ? Math.max(addedAt, ready) : addedAt;
  });
}

/** The backlog of each queue given, read at `now` (ms). */
export async function readBacklog(client: Redis, queues: readonly BacklogQueue[], now = Date.now()): Promise<BacklogRow[]> {
  return Promise.all(
    queues.map(async ({ tag, shard, capability, qualifiedName }) => {
      const reading = await readQueueBacklog(client, qualifiedName, now);
      const since = [...(await waitingSince(client, tag, reading)), ...(reading.firstDueAt === undefined ? [] : [reading.firstDueAt])];
      const oldest = since.length > 0 ? Math.min(...since) : now;
      return {
        capability,
        shard,
        backlog: reading.waiting + reading.prioritized + reading.due,
        oldestWaitingSeconds: Math.max(0, now - oldest) / 1000,
      };
    }),
  );
}
