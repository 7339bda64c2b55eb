import { Injectable } from '@nestjs/common';
import type { ChainableCommander } from 'ioredis';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardRouter } from '../redis/shards';
import { BatchContributor, RedisWriteBatcher } from '../redis/write-batcher.service';
import { bucketOf, counterField, HistogramDefinition, Labels, METRICS } from './metric-definitions';

/**
 * Applies a batch of increments to a shard's metrics hash: ARGV holds triples of (`i` integer |
 * `f` float, field, amount).
 */
const APPLY_SCRIPT = `
for i = 1, #ARGV, 3 do
  if ARGV[i] == 'i' then redis.call('HINCRBY', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  else redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i + 1], ARGV[i + 2]) end
end
return #ARGV / 3
`;
const APPLY_COMMAND = 'switchyardMetricsApply';

/** Label sets whose field is remembered; beyond that (label values that keep changing) it is made each time. */
const MAX_REMEMBERED_FIELDS = 10_000;

export type RunOutcome = 'completed' | 'failed' | 'cancelled';

/**
 * Records cluster-wide metrics from any process (API or worker). Increments add up in memory and
 * are sent with the process' batched writes (one script call per shard per flush, no round trip
 * of their own); the API sums every shard's hash when /metrics or /stats is read.
 *
 * Other parts of Switchyard call this to be counted: the task executor (runs, durations,
 * dispatch latency), the worker host (stalled jobs), and lock users ({@link lockWait},
 * {@link lockFailure}).
 */
@Injectable()
export class MetricsRecorder implements BatchContributor {
  private pending = new Map<ShardTag, Map<string, { float: boolean; amount: number }>>();
  private readonly fields = new Map<string, string>();

  constructor(
    redis: RedisConnections,
    private readonly batcher: RedisWriteBatcher,
    private readonly shards: ShardRouter,
  ) {
    if (!(APPLY_COMMAND in redis.client)) redis.client.defineCommand(APPLY_COMMAND, { numberOfKeys: 1, lua: APPLY_SCRIPT });
    batcher.register(this);
  }

  /** An agent run started; `dispatchLatencyMs` (ready → started) for a task's first run. */
  taskStarted(tag: ShardTag, capability: string, dispatchLatencyMs?: number): void {
    this.count(tag, METRICS.tasksStarted.name, { capability });
    if (dispatchLatencyMs !== undefined && dispatchLatencyMs >= 0) this.observe(tag, METRICS.dispatchLatency, { capability }, dispatchLatencyMs / 1000);
  }

  /** An agent run ended: completed, failed (`final` when no attempt is left) or cancelled with its session. */
  taskRunEnded(tag: ShardTag, capability: string, outcome: RunOutcome, durationMs: number, final = false): void {
    if (outcome === 'completed') this.count(tag, METRICS.tasksCompleted.name, { capability });
    else if (outcome === 'failed') this.count(tag, METRICS.tasksFailed.name, { capability, final: String(final) });
    else this.count(tag, METRICS.tasksCancelled.name, { capability });
    this.observe(tag, METRICS.taskDuration, { capability, outcome }, durationMs / 1000);
  }

  /** A job's worker stopped renewing its lock; BullMQ gives the job to another worker. */
  jobStalled(tag: ShardTag, queue: string): void {
    this.count(tag, METRICS.jobsStalled.name, { queue });
  }

  /**
   * A lock was acquired after waiting `waitMs` (call it only when the acquisition had to wait or
   * retry). `resource` is a kind such as `session-state`, never a per-session key: every distinct
   * value is a time series.
   */
  lockWait(resource: string, waitMs: number, tag: ShardTag = this.shards.tags[0]): void {
    this.count(tag, METRICS.lockWaits.name, { resource });
    this.observe(tag, METRICS.lockWaitSeconds, { resource }, waitMs / 1000);
  }

  /** A lock was not acquired (`timeout`), expired while held (`expired`), or failed otherwise (`error`). */
  lockFailure(resource: string, reason: 'timeout' | 'expired' | 'error', tag: ShardTag = this.shards.tags[0]): void {
    this.count(tag, METRICS.lockFailures.name, { resource, reason });
  }

  drainInto(pipeline: ChainableCommander): number {
    const batches = this.pending;
    this.pending = new Map();
    const run = pipeline as unknown as Record<string, (...args: (string | number)[]) => unknown>;
    for (const [tag, fields] of batches) {
      const args: (string | number)[] = [];
      for (const [field, { float, amount }] of fields) args.push(float ? 'f' : 'i', field, amount);
      run[APPLY_COMMAND](keys.metrics(tag), ...args);
    }
    return batches.size;
  }

  private count(tag: ShardTag, name: string, labels: Labels): void {
    this.add(tag, this.field(name, labels), 1, false);
    this.batcher.schedule();
  }

  private observe(tag: ShardTag, metric: HistogramDefinition, labels: Labels, seconds: number): void {
    const prefix = `${this.field(metric.name, labels)}|`;
    this.add(tag, prefix + bucketOf(metric.buckets, seconds), 1, false);
    this.add(tag, `${prefix}count`, 1, false);
    this.add(tag, `${prefix}sum`, seconds, true);
    this.batcher.schedule();
  }

  /**
   * The hash field of a metric's label set ({@link counterField}; a histogram's parts append
   * `|part`), kept once made: the same few label sets recur on every task.
   */
  private field(name: string, labels: Labels): string {
    let key = name;
    for (const label in labels) key += `\u0000${label}\u0000${labels[label]}`;
    let field = this.fields.get(key);
    if (field === undefined) {
      field = counterField(name, labels);
      if (this.fields.size < MAX_REMEMBERED_FIELDS) this.fields.set(key, field);
    }
    return field;
  }

  private add(tag: ShardTag, field: string, amount: number, float: boolean): void {
    let fields = this.pending.get(tag);
    if (!fields) {
      fields = new Map();
      this.pending.set(tag, fields);
    }
    const entry = fields.get(field);
    if (entry) entry.amount += amount;
    else fields.set(field, { float, amount });
  }
}
