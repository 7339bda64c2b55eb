import { Job, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the jobs with the given ids complete (or rejects when one fails), via QueueEvents. */
export class Completions {
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(readonly events: QueueEvents) {
    events.on('completed', ({ jobId }) => this.waiting.get(jobId)?.resolve());
    events.on('failed', ({ jobId, failedReason }) => this.waiting.get(jobId)?.reject(new Error(`${jobId} failed: ${failedReason}`)));
  }

  /** Call before the job can complete. */
  expect(jobId: string, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${jobId} did not complete within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(jobId, {
        resolve: () => {
          clearTimeout(timer);
          this.waiting.delete(jobId);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          this.waiting.delete(jobId);
          reject(e);
        },
      });
    });
  }
}

/** Counts completions of many jobs of one worker, resolving at `n`. */
export function countTo(n: number): { hit: () => void; done: Promise<void> } {
  let count = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    hit: () => {
      count += 1;
      if (count === n) resolve();
    },
    done,
  };
}

export async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Redis' CPU time so far (user and system), in µs, from INFO cpu. */
export async function redisCpuUs(redis: Redis): Promise<number> {
  const info = String(await redis.info('cpu'));
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return 1e6 * (field('used_cpu_user') + field('used_cpu_sys'));
}

/**
 * Runs `work`, and answers its result, how long it took, and the CPU time this process and Redis
 * spent meanwhile, each divided by `count` (the calls or tasks it did).
 */
export async function cpuPer<T>(redis: Redis, count: number, work: () => Promise<T>): Promise<{ result: T; ms: number; nodeUs: number; redisUs: number }> {
  const redisBefore = await redisCpuUs(redis);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  const node = process.cpuUsage(nodeBefore);
  return { result, ms, nodeUs: (node.user + node.system) / count, redisUs: ((await redisCpuUs(redis)) - redisBefore) / count };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `round` `count` times, one after the other, collecting what each gives. */
export async function inRounds<T>(count: number, round: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i++) results.push(await round(i));
  return results;
}

/**
 * A table row's ratio and "in each round" cells: the median of the rounds' ratios and each of
 * them, or `ratio` and nothing for a row measured once.
 */
export function ratioCells(rounds: number[] | undefined, ratio: () => string): [ratio: string, each: string] {
  if (!rounds) return [ratio(), ''];
  return [percentile(rounds, 50).toFixed(2), rounds.map((x) => x.toFixed(2)).join(' / ')];
}

/** Deletes every key under a prefix's hash tags. */
export async function deletePrefix(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    if (batch.length > 0) await redis.unlink(...batch);
    cursor = next;
  } while (cursor !== '0');
}

export type AnyJob = Job;
