import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { expireQueueKeys } from '../adapters/bullmq';
import { ShardTag } from '../redis/keys';

/**
 * How long a canary queue's keys outlive the last round that renewed them: a worker killed
 * without its shutdown (SIGKILL, a lost node) leaves nothing behind for longer.
 */
export const CANARY_KEYS_TTL_S = 60;

/** The canary queue of a worker process: its own, so that only this process takes its jobs. */
export function canaryQueueName(host: string, pid: number): string {
  // A pod's name is unique and its main process is pid 1; elsewhere the pid tells processes apart.
  return `sy.canary.${host.replace(/[^A-Za-z0-9_-]/g, '_')}.${pid}`;
}

/** What one round of the canary found in one shard. */
export interface CanaryResult {
  readonly tag: ShardTag;
  readonly ok: boolean;
  /** From the add to the processor's run, in ms, when it came back. */
  readonly roundTripMs?: number;
  readonly error?: string;
}

/**
 * A job sent through BullMQ into this worker process and back: one queue of its own per shard
 * (named by {@link canaryQueueName}), consumed by a BullMQ Worker of this process like its
 * capability queues are. A round proves that the process can add to Redis, that its BullMQ
 * workers fetch jobs and that its event loop runs their processors.
 *
 * The queue is no capability's: it is not in the catalog, so no session, task count, metric,
 * health report or Bull Board ever shows it; its jobs are removed as soon as they complete, its
 * event stream is kept to a few entries, and the queue is obliterated when the worker stops (a
 * worker killed without stopping leaves its keys to expire, CANARY_KEYS_TTL_S after its last round).
 */
export class WorkerCanary {
  private readonly queues = new Map<ShardTag, Queue>();
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<string, () => void>();

  constructor(
    private readonly connection: Redis,
    private readonly name: string,
    private readonly tags: readonly ShardTag[],
  ) {}

  start(): void {
    for (const tag of this.tags) {
      this.queues.set(tag, new Queue(this.name, { connection: this.connection, prefix: tag, streams: { events: { maxLen: 10 } } }));
      const worker = new Worker(this.name, async (job) => this.waiting.get(job.id ?? '')?.(), {
        connection: this.connection,
        prefix: tag,
        concurrency: 1,
      });
      // Errors show as failed rounds (see round); the worker retries its connection by itself.
      worker.on('error', () => undefined);
      this.workers.push(worker);
    }
  }

  /** Sends one canary job into each shard and waits (at most `timeoutMs`) for each to come back. */
  round(timeoutMs: number): Promise<CanaryResult[]> {
    return Promise.all([...this.queues].map(([tag, queue]) => this.once(tag, queue, timeoutMs)));
  }

  private async once(tag: ShardTag, queue: Queue, timeoutMs: number): Promise<CanaryResult> {
    const jobId = randomUUID();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    // Listening before the add: the processor may run before the add's reply comes in.
    const back = new Promise<void>((resolve) => this.waiting.set(jobId, resolve));
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the canary job did not come back within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      // The add's own failure (Redis refused it) is the round's error; a late rejection is dropped.
      const added = queue.add('canary', {}, { jobId, removeOnComplete: true, removeOnFail: true });
      added.catch(() => undefined);
      await Promise.race([Promise.all([added, back]), expired]);
      await Promise.race([expireQueueKeys(this.connection, queue.qualifiedName, CANARY_KEYS_TTL_S), expired]);
      return { tag, ok: true, roundTripMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return { tag, ok: false, error: (error as Error).message };
    } finally {
      clearTimeout(timer);
      this.waiting.delete(jobId);
    }
  }

  /** Stops consuming and removes the canary queues from Redis (best effort: Redis may be gone). */
  async stop(timeoutMs: number): Promise<void> {
    const work = (async () => {
      await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
      await Promise.all([...this.queues.values()].map((q) => q.obliterate({ force: true }).catch(() => undefined)));
      await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
