import { Inject, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Metric, Registry } from 'prom-client';
import type { FigureScope } from '../auth/figure-scope';
import { ClusterHealth, QueueHealth } from '../health/cluster-health.service';
import { keys, SESSION_QUEUE, WAIT_QUEUE } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { inOneWrite } from '../adapters/ioredis';
import { ShardRouter } from '../redis/shards';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { TaskQueues } from '../queues/task-queues.service';
import { BacklogRow, readBacklog } from './queue-backlog';
import { ShardMap, ShardMapView } from '../redis/shard-map.service';
import { CounterDefinition, HistogramDefinition, Labels, METRICS } from './metric-definitions';
import { counterSeries, CounterSeries, estimateQuantile, histogramSeries, HistogramSeries, mergeHistograms, sumHashes } from './metric-series';

/** Which series of the task metrics (labelled by tenant) an answer shows. */
type SeriesFilter = (labels: Labels) => boolean;

const filterOf = (scope: FigureScope): SeriesFilter => (scope === 'deployment' ? () => true : (labels) => labels.tenant === scope.tenant);

const TASK_COUNTERS = [METRICS.tasksStarted, METRICS.tasksCompleted, METRICS.tasksFailed, METRICS.tasksCancelled];
const TASK_HISTOGRAMS = [METRICS.taskDuration, METRICS.dispatchLatency];
/** Counted per tenant too, so shown to a tenant's keys with the task metrics. */
const MODEL_COUNTERS = [METRICS.modelTokens, METRICS.modelCost];

/** Model usage summed over calls: tokens by kind, and what they cost. */
export interface UsageFigures {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number;
}

/** The model usage of /stats: in all, by model and by tenant. */
export interface UsageStats extends UsageFigures {
  readonly byModel: Record<string, UsageFigures>;
  readonly byTenant: Record<string, UsageFigures>;
}

/** Sums the model counters' series into {@link UsageStats}. */
function usageStats(tokens: readonly CounterSeries[], cost: readonly CounterSeries[]): UsageStats {
  const zero = (): UsageFigures => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0 });
  const total = zero();
  const byModel: Record<string, UsageFigures> = {};
  const byTenant: Record<string, UsageFigures> = {};
  const each = (labels: CounterSeries['labels'], add: (f: UsageFigures) => void) => {
    for (const figures of [total, (byModel[labels.model] ??= zero()), (byTenant[labels.tenant] ??= zero())]) add(figures);
  };
  for (const s of tokens) {
    each(s.labels, (f) => {
      if (s.labels.kind === 'prompt') f.promptTokens += s.value;
      else f.completionTokens += s.value;
      f.totalTokens += s.value;
    });
  }
  for (const s of cost) each(s.labels, (f) => (f.costUsd = Math.round((f.costUsd + s.value) * 1e9) / 1e9));
  return { ...total, byModel, byTenant };
}

/**
 * Where the count of live agents per capability comes from. Until the shared agent registry
 * exists, the default counts the worker processes consuming each capability's queue; the
 * registry provides its own under {@link LIVE_AGENTS} to replace it.
 */
export interface LiveAgentsSource {
  /** Named in /stats so readers know what is counted. */
  readonly description: string;
  perCapability(queues: readonly QueueHealth[]): Promise<Record<string, number>>;
}

/** Injection token of a {@link LiveAgentsSource} that replaces the default. */
export const LIVE_AGENTS = Symbol('LIVE_AGENTS');

const queueConsumers: LiveAgentsSource = {
  description: 'worker processes consuming the capability queue',
  perCapability: async (queues) =>
    Object.fromEntries(queues.filter((q) => q.queue !== SESSION_QUEUE && q.queue !== WAIT_QUEUE).map((q) => [q.queue, q.workers])),
};

/** Everything one scrape shows, read once and shared by every metric of the scrape. */
export interface MetricsSnapshot {
  readonly at: string;
  /** Cluster-wide counters and histogram parts, summed over the shards. */
  readonly values: ReadonlyMap<string, number>;
  readonly queues: readonly QueueHealth[];
  readonly liveAgents: Readonly<Record<string, number>>;
  /** Each capability queue's backlog in each shard (what KEDA scales workers on). */
  readonly backlog: readonly BacklogRow[];
}

export interface HistogramSummary {
  readonly count: number;
  readonly sumSeconds: number;
  readonly meanSeconds: number | null;
  /** Estimated from the buckets, like Prometheus' histogram_quantile. */
  readonly p50Seconds: number | null;
  readonly p95Seconds: number | null;
}

export interface CapabilityStats {
  started: number;
  completed: number;
  failed: number;
  failedFinal: number;
  cancelled: number;
  durationSeconds?: HistogramSummary;
  dispatchLatencySeconds?: HistogramSummary;
}

/**
 * The figures of /metrics, shaped for people (GET /api/orchestrator/stats). For one tenant
 * (`tenant` set) the tasks are that tenant's, and the deployment-wide figures (queues, stalled
 * jobs, locks) are left out.
 */
export interface ClusterStats {
  readonly at: string;
  /** Set when the figures are one tenant's only. */
  readonly tenant?: string;
  readonly tasks: {
    readonly started: number;
    readonly completed: number;
    readonly failed: number;
    readonly failedFinal: number;
    readonly cancelled: number;
    readonly durationSeconds?: HistogramSummary;
    readonly dispatchLatencySeconds?: HistogramSummary;
    readonly byCapability: Record<string, CapabilityStats>;
  };
  readonly queues?: readonly QueueHealth[];
  readonly liveAgents: { readonly source: string; readonly byCapability: Readonly<Record<string, number>> };
  /** Model calls' tokens and cost (for one tenant: its own). */
  readonly usage: UsageStats;
  readonly jobsStalled?: Record<string, number>;
  /** Which master serves each shard (admin keys only). */
  readonly shards?: ShardMapView;
  readonly locks?: {
    readonly waits: Record<string, { count: number; waitSeconds?: HistogramSummary }>;
    readonly failures: Record<string, Record<string, number>>;
  };
}

function summary(series: HistogramSeries | undefined): HistogramSummary | undefined {
  if (!series) return undefined;
  return {
    count: series.count,
    sumSeconds: series.sum,
    meanSeconds: series.count > 0 ? series.sum / series.count : null,
    p50Seconds: estimateQuantile(series, 0.5),
    p95Seconds: estimateQuantile(series, 0.95),
  };
}

/**
 * The cluster's metrics as the API serves them: counters and histograms kept in Redis by every
 * process (see MetricsRecorder), queue depths and live workers read at scrape time. Rendered
 * through prom-client (collect callbacks fill the metrics from one snapshot per scrape) for
 * GET /metrics, and as JSON for GET /api/orchestrator/stats.
 */
@Injectable()
export class ClusterMetrics {
  readonly registry = new Registry();
  private inflight?: Promise<MetricsSnapshot>;
  private readonly agentsSource: LiveAgentsSource;

  constructor(
    private readonly redis: RedisConnections,
    private readonly shards: ShardRouter,
    private readonly cluster: ClusterHealth,
    private readonly catalog: CapabilityCatalog,
    private readonly queues: TaskQueues,
    private readonly shardMap: ShardMap,
    @Optional() @Inject(LIVE_AGENTS) agents?: LiveAgentsSource,
  ) {
    this.agentsSource = agents ?? queueConsumers;
    this.defineMetrics();
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_api_' });
  }

  /**
   * The Prometheus text exposition: every metric for the deployment; for one tenant, its task
   * metrics and the live agents per capability only.
   */
  prometheus(scope: FigureScope = 'deployment'): Promise<string> {
    if (scope === 'deployment') return this.registry.metrics();
    const registry = new Registry();
    this.defineTaskMetrics(registry, filterOf(scope));
    this.defineLiveAgents(registry);
    return registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Reads the cluster's figures; concurrent callers (the metrics of one scrape) share one read. */
  snapshot(): Promise<MetricsSnapshot> {
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  async stats(scope: FigureScope = 'deployment'): Promise<ClusterStats> {
    const snap = await this.snapshot();
    const keep = filterOf(scope);
    const counter = (metric: CounterDefinition) => counterSeries(snap.values, metric.name).filter((s) => keep(s.labels));
    const histogram = (metric: HistogramDefinition) => histogramSeries(snap.values, metric).filter((s) => keep(s.labels));
    const byCapability: Record<string, CapabilityStats> = {};
    const of = (capability: string) => (byCapability[capability] ??= { started: 0, completed: 0, failed: 0, failedFinal: 0, cancelled: 0 });
    for (const s of counter(METRICS.tasksStarted)) of(s.labels.capability).started += s.value;
    for (const s of counter(METRICS.tasksCompleted)) of(s.labels.capability).completed += s.value;
    for (const s of counter(METRICS.tasksCancelled)) of(s.labels.capability).cancelled += s.value;
    for (const s of counter(METRICS.tasksFailed)) {
      of(s.labels.capability).failed += s.value;
      if (s.labels.final === 'true') of(s.labels.capability).failedFinal += s.value;
    }
    const durations = histogram(METRICS.taskDuration);
    const latencies = histogram(METRICS.dispatchLatency);
    for (const capability of Object.keys(byCapability)) {
      byCapability[capability].durationSeconds = summary(mergeHistograms(durations.filter((s) => s.labels.capability === capability)));
      byCapability[capability].dispatchLatencySeconds = summary(mergeHistograms(latencies.filter((s) => s.labels.capability === capability)));
    }
    const all = Object.values(byCapability);
    const total = (field: 'started' | 'completed' | 'failed' | 'failedFinal' | 'cancelled') => all.reduce((n, c) => n + c[field], 0);
    const tasks = {
      started: total('started'),
      completed: total('completed'),
      failed: total('failed'),
      failedFinal: total('failedFinal'),
      cancelled: total('cancelled'),
      durationSeconds: summary(mergeHistograms(durations)),
      dispatchLatencySeconds: summary(mergeHistograms(latencies)),
      byCapability,
    };
    const liveAgents = { source: this.agentsSource.description, byCapability: snap.liveAgents };
    const usage = usageStats(counter(METRICS.modelTokens), counter(METRICS.modelCost));
    if (scope !== 'deployment') return { at: snap.at, tenant: scope.tenant, tasks, liveAgents, usage };

    const jobsStalled: Record<string, number> = {};
    for (const s of counter(METRICS.jobsStalled)) jobsStalled[s.labels.queue] = (jobsStalled[s.labels.queue] ?? 0) + s.value;
    const waits: NonNullable<ClusterStats['locks']>['waits'] = {};
    for (const s of counter(METRICS.lockWaits)) waits[s.labels.resource] = { count: s.value };
    for (const s of histogram(METRICS.lockWaitSeconds)) (waits[s.labels.resource] ??= { count: 0 }).waitSeconds = summary(s);
    const failures: NonNullable<ClusterStats['locks']>['failures'] = {};
    for (const s of counter(METRICS.lockFailures)) (failures[s.labels.resource] ??= {})[s.labels.reason] = s.value;

    return { at: snap.at, tasks, queues: snap.queues, liveAgents, usage, jobsStalled, shards: await this.shardMap.current(), locks: { waits, failures } };
  }

  private async load(): Promise<MetricsSnapshot> {
    const client = this.redis.client;
    const [hashes, queues, backlog] = await Promise.all([
      Promise.all(inOneWrite(client, () => this.shards.tags.map((tag) => client.hgetall(keys.metrics(tag))))),
      this.cluster.queueHealth(),
      readBacklog(client, this.backlogQueues()),
    ]);
    return { at: new Date().toISOString(), values: sumHashes(hashes), queues, liveAgents: await this.agentsSource.perCapability(queues), backlog };
  }

  /** Every capability's queue in every shard, in the catalog's order. */
  private backlogQueues() {
    const capabilities = [...this.catalog.names()].sort();
    return this.shards.tags.flatMap((tag, shard) =>
      capabilities.map((capability) => ({ tag, shard, capability, qualifiedName: this.queues.queue(tag, capability).qualifiedName })),
    );
  }

  /** The deployment's metrics, in {@link registry}. */
  private defineMetrics(): void {
    const self = this;
    this.defineTaskMetrics(this.registry, () => true);
    for (const metric of [METRICS.jobsStalled, METRICS.lockWaits, METRICS.lockFailures]) this.storedCounter(this.registry, metric, () => true);
    this.registry.registerMetric(this.storedHistogram(METRICS.lockWaitSeconds, () => true));
    new Gauge({
      name: 'switchyard_queue_jobs',
      help: 'Jobs in each queue by state (waiting, delayed, active), over every shard',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        const snap = await self.snapshot();
        this.reset();
        for (const q of snap.queues) {
          for (const state of ['waiting', 'delayed', 'active'] as const) this.set({ queue: q.queue, state }, q[state]);
        }
      },
    });
    new Gauge({
      name: 'switchyard_queue_workers',
      help: 'Worker connections consuming each queue, over every shard',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        const snap = await self.snapshot();
        this.reset();
        for (const q of snap.queues) this.set({ queue: q.queue }, q.workers);
      },
    });
    this.defineBacklog();
    this.defineLiveAgents(this.registry);
  }

  /**
   * The backlog per capability and shard, the series KEDA scales workers on (see
   * docs/kubernetes.md): every capability of the catalog in every shard, 0 when nothing waits.
   */
  private defineBacklog(): void {
    const self = this;
    const gauges = [
      ['switchyard_queue_backlog', 'Jobs a worker of the capability could take now, per shard: waiting + prioritized + delayed and due', 'backlog'],
      [
        'switchyard_queue_oldest_waiting_seconds',
        "How long the capability's job that has waited longest has waited, per shard, in seconds (0 when none waits)",
        'oldestWaitingSeconds',
      ],
    ] as const;
    for (const [name, help, field] of gauges) {
      new Gauge({
        name,
        help,
        labelNames: ['capability', 'shard'],
        registers: [this.registry],
        async collect() {
          const snap = await self.snapshot();
          this.reset();
          for (const row of snap.backlog) this.set({ capability: row.capability, shard: String(row.shard) }, row[field]);
        },
      });
    }
  }

  /** The task metrics (counted per capability and tenant), their series chosen by `keep`. */
  private defineTaskMetrics(registry: Registry, keep: SeriesFilter): void {
    for (const metric of [...TASK_COUNTERS, ...MODEL_COUNTERS]) this.storedCounter(registry, metric, keep);
    for (const metric of TASK_HISTOGRAMS) registry.registerMetric(this.storedHistogram(metric, keep));
  }

  private defineLiveAgents(registry: Registry): void {
    const self = this;
    new Gauge({
      name: 'switchyard_live_agents',
      help: `Live agents per capability (today: ${this.agentsSource.description})`,
      labelNames: ['capability'],
      registers: [registry],
      async collect() {
        const snap = await self.snapshot();
        this.reset();
        for (const [capability, count] of Object.entries(snap.liveAgents)) this.set({ capability }, count);
      },
    });
  }

  /** A counter whose values live in Redis, filled from the snapshot at each scrape. */
  private storedCounter(registry: Registry, metric: CounterDefinition, keep: SeriesFilter): void {
    const self = this;
    new Counter({
      name: metric.name,
      help: metric.help,
      labelNames: [...metric.labelNames],
      registers: [registry],
      async collect() {
        const snap = await self.snapshot();
        this.reset();
        for (const s of counterSeries(snap.values, metric.name)) if (keep(s.labels)) this.inc({ ...s.labels }, s.value);
      },
    });
  }

  /**
   * A histogram whose buckets live in Redis. prom-client's Histogram can only observe values one
   * by one, so this is a metric object of prom-client's own shape, filled from the snapshot.
   */
  private storedHistogram(metric: HistogramDefinition, keep: SeriesFilter): Metric {
    const get = async () => {
      const snap = await this.snapshot();
      const values = histogramSeries(snap.values, metric)
        .filter((s) => keep(s.labels))
        .flatMap((s) => [
          ...s.buckets.map((b) => ({ metricName: `${metric.name}_bucket`, labels: { ...s.labels, le: b.le }, value: b.count })),
          { metricName: `${metric.name}_sum`, labels: { ...s.labels }, value: s.sum },
          { metricName: `${metric.name}_count`, labels: { ...s.labels }, value: s.count },
        ]);
      return { name: metric.name, help: metric.help, type: 'histogram', values, aggregator: 'sum' };
    };
    return { name: metric.name, help: metric.help, type: 'histogram', get } as unknown as Metric;
  }
}
