import type { Redis } from 'ioredis';
import source from './scripts/queue-backlog.lua';

/** The name queue-backlog.lua has as a command of the connections it is defined on. */
const COMMAND = 'switchyardQueueBacklog';

/** How many priority levels of a queue are looked at for their oldest job (tasks use few). */
export const BACKLOG_PRIORITY_LEVELS = 32;

/** What queue-backlog.lua read of one BullMQ queue. */
export interface QueueBacklogReading {
  /** Jobs without a priority waiting in the wait list. */
  readonly waiting: number;
  /** Jobs with a priority waiting (BullMQ keeps them in a sorted set, not the wait list). */
  readonly prioritized: number;
  /** Delayed jobs whose time has come: a worker takes them next. */
  readonly due: number;
  /** When the earliest due delayed job became due (ms since the epoch), if any is due. */
  readonly firstDueAt?: number;
  /** The oldest job of the wait list and of each priority level, with when each was added (ms). */
  readonly candidates: readonly { readonly jobId: string; readonly addedAt: number }[];
}

/**
 * Reads the backlog of the BullMQ queue whose qualified name (`<prefix>:<name>`, Queue's
 * `qualifiedName`) is given, in one read-only script: see queue-backlog.lua for the keys it reads.
 */
export async function readQueueBacklog(client: Redis, qualifiedName: string, now = Date.now()): Promise<QueueBacklogReading> {
  // ioredis' defineCommand (by SHA, with the source when Redis lacks it), once per connection.
  if (!(COMMAND in client)) client.defineCommand(COMMAND, { numberOfKeys: 3, lua: source });
  const keys = ['wait', 'prioritized', 'delayed'].map((type) => `${qualifiedName}:${type}`);
  const run = client as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  const reply = (await run[COMMAND](...keys, now, `${qualifiedName}:`, BACKLOG_PRIORITY_LEVELS)) as [number, number, number, number, string[]];
  const [waiting, prioritized, due, firstDueAt, flat] = reply;
  const candidates: { jobId: string; addedAt: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) candidates.push({ jobId: flat[i], addedAt: Number(flat[i + 1]) });
  return { waiting, prioritized, due, ...(firstDueAt > 0 ? { firstDueAt } : {}), candidates };
}
