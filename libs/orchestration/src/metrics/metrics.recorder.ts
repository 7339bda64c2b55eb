import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardRouter } from '../redis/shards';
import { BatchContributor, RedisWriteBatcher } from '../redis/write-batcher.service';
import { applyIncrements, defineApplyIncrements } from './scripts/apply-increments';
import { bucketIndex, counterField, HistogramDefinition, Labels, METRICS } from './metric-definitions';

/** The fields of a histogram whose label set's field is `field` (see histogramField). */
function histogramFields(field: string, bounds: readonly number[]): HistogramFields {
  return { bounds, buckets: [...bounds.map((b) => `${field}|${b}`), `${field}|+Inf`], count: `${field}|count`, sum: `${field}|sum` };
}

/** Label sets whose field is remembered; beyond that (label values that keep changing) it is made each time. */
const MAX_REMEMBERED_FIELDS = 10_000;

export type RunOutcome = 'completed' | 'failed' | 'cancelled';

/** The hash fields of one histogram label set: one per bucket (the bounds, then `+Inf`), its count and its sum. */
interface HistogramFields {
  readonly bounds: readonly number[];
  readonly buckets: readonly string[];
  readonly count: string;
  readonly sum: string;
}

/** Every field a task's run touches, for one tenant and capability: made once, as they recur on every task. */
interface TaskFields {
  readonly started: string;
  readonly completed: string;
  readonly failed: { readonly final: string; readonly retried: string };
  readonly cancelled: string;
  readonly dispatch: HistogramFields;
  readonly duration: Readonly<Record<RunOutcome, HistogramFields>>;
}

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
  private readonly histograms = new Map<string, HistogramFields>();
  private readonly taskFields = new Map<string, TaskFields>();

  constructor(
    redis: RedisConnections,
    private readonly batcher: RedisWriteBatcher,
    private readonly shards: ShardRouter,
  ) {
    defineApplyIncrements(redis.client);
    batcher.register(this);
  }

  /**
   * An agent run of a session of `tenant` started; `dispatchLatencyMs` (ready → started) for a
   * task's first run.
   */
  taskStarted(tag: ShardTag, tenant: string, capability: string, dispatchLatencyMs?: number): void {
    const fields = this.fieldsOfTask(tenant, capability);
    this.add(tag, fields.started, 1, false);
    if (dispatchLatencyMs !== undefined && dispatchLatencyMs >= 0) this.addObservation(tag, fields.dispatch, dispatchLatencyMs / 1000);
    this.batcher.schedule();
  }

  /** An agent run ended: completed, failed (`final` when no attempt is left) or cancelled with its session. */
  taskRunEnded(tag: ShardTag, tenant: string, capability: string, outcome: RunOutcome, durationMs: number, final = false): void {
    const fields = this.fieldsOfTask(tenant, capability);
    const counter = outcome === 'failed' ? (final ? fields.failed.final : fields.failed.retried) : fields[outcome];
    this.add(tag, counter, 1, false);
    this.addObservation(tag, fields.duration[outcome], durationMs / 1000);
    this.batcher.schedule();
  }

  /** A model call of a session of `tenant`: its tokens by kind, and what it cost. */
  modelUsage(tag: ShardTag, tenant: string, model: string, tokens: { prompt: number; completion: number }, costUsd: number): void {
    this.add(tag, this.field(METRICS.modelTokens.name, { model, kind: 'prompt', tenant }), tokens.prompt, false);
    this.add(tag, this.field(METRICS.modelTokens.name, { model, kind: 'completion', tenant }), tokens.completion, false);
    if (costUsd > 0) this.add(tag, this.field(METRICS.modelCost.name, { model, tenant }), costUsd, true);
    this.batcher.schedule();
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

  drainInto(client: Redis): Promise<unknown>[] {
    const batches = this.pending;
    this.pending = new Map();
    const replies: Promise<unknown>[] = [];
    for (const [tag, fields] of batches) {
      const increments = [...fields].map(([field, { float, amount }]) => ({ field, amount, float }));
      replies.push(applyIncrements(client, { key: keys.metrics(tag), increments }));
    }
    return replies;
  }

  private count(tag: ShardTag, name: string, labels: Labels): void {
    this.add(tag, this.field(name, labels), 1, false);
    this.batcher.schedule();
  }

  private observe(tag: ShardTag, metric: HistogramDefinition, labels: Labels, seconds: number): void {
    const field = this.field(metric.name, labels);
    let fields = this.histograms.get(field);
    if (!fields) {
      fields = histogramFields(field, metric.buckets);
      if (this.histograms.size < MAX_REMEMBERED_FIELDS) this.histograms.set(field, fields);
    }
    this.addObservation(tag, fields, seconds);
    this.batcher.schedule();
  }

  /** A value (in seconds) counted in its bucket (non-cumulative, as parseField's readers expect), its count and its sum. */
  private addObservation(tag: ShardTag, fields: HistogramFields, seconds: number): void {
    this.add(tag, fields.buckets[bucketIndex(fields.bounds, seconds)], 1, false);
    this.add(tag, fields.count, 1, false);
    this.add(tag, fields.sum, seconds, true);
  }

  private fieldsOfTask(tenant: string, capability: string): TaskFields {
    const key = `${tenant}\u0000${capability}`;
    let fields = this.taskFields.get(key);
    if (fields) return fields;
    const labels = { capability, tenant };
    const duration = (outcome: RunOutcome) => histogramFields(counterField(METRICS.taskDuration.name, { ...labels, outcome }), METRICS.taskDuration.buckets);
    fields = {
      started: counterField(METRICS.tasksStarted.name, labels),
      completed: counterField(METRICS.tasksCompleted.name, labels),
      failed: {
        final: counterField(METRICS.tasksFailed.name, { ...labels, final: 'true' }),
        retried: counterField(METRICS.tasksFailed.name, { ...labels, final: 'false' }),
      },
      cancelled: counterField(METRICS.tasksCancelled.name, labels),
      dispatch: histogramFields(counterField(METRICS.dispatchLatency.name, labels), METRICS.dispatchLatency.buckets),
      duration: { completed: duration('completed'), failed: duration('failed'), cancelled: duration('cancelled') },
    };
    if (this.taskFields.size < MAX_REMEMBERED_FIELDS) this.taskFields.set(key, fields);
    return fields;
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
