/**
 * The cluster-wide metrics Switchyard keeps in Redis: what each is called, what it measures, and
 * how a recorded value is stored (a field of the shard's metrics hash, see keys.metrics).
 */

export type Labels = Readonly<Record<string, string>>;

export interface CounterDefinition {
  readonly kind: 'counter';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

export interface HistogramDefinition {
  readonly kind: 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Upper bounds of the buckets, in seconds, ascending (`+Inf` is implied). */
  readonly buckets: readonly number[];
}

export type MetricDefinition = CounterDefinition | HistogramDefinition;

/**
 * The bounds of a decade between 0.1 s and 10 s, at most 25% apart: a quantile is estimated by
 * interpolating within its bucket, so its error is bounded by the bucket's width.
 */
const DECADE = [1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7.5];

const SECONDS = [0.005, 0.01, 0.025, 0.05, ...DECADE.map((step) => step / 10), ...DECADE, 10, 15, 20, 30, 60, 120, 300];

export const METRICS = {
  modelTokens: {
    labelNames: ['model', 'kind', 'tenant'],
    kind: 'counter',
    name: 'switchyard_model_tokens_total',
    help: "Tokens of model calls as the model server counted them, by model, kind (prompt or completion) and the session's tenant",
  },
  modelCost: {
    labelNames: ['model', 'tenant'],
    kind: 'counter',
    name: 'switchyard_model_cost_usd_total',
    help: "What model calls cost in USD at SWITCHYARD_MODEL_PRICES, by model and the session's tenant",
  },
  tasksStarted: {
    labelNames: ['capability', 'tenant'],
    kind: 'counter',
    name: 'switchyard_tasks_started_total',
    help: "Agent runs started (every attempt), by the capability queue of the task and the session's tenant",
  },
  tasksCompleted: {
    labelNames: ['capability', 'tenant'],
    kind: 'counter',
    name: 'switchyard_tasks_completed_total',
    help: 'Agent runs that completed with a result (or returned subtasks)',
  },
  tasksFailed: {
    labelNames: ['capability', 'tenant', 'final'],
    kind: 'counter',
    name: 'switchyard_tasks_failed_total',
    help: 'Agent runs that failed; final="true" when no attempt was left',
  },
  tasksCancelled: {
    labelNames: ['capability', 'tenant'],
    kind: 'counter',
    name: 'switchyard_tasks_cancelled_total',
    help: 'Agent runs aborted because their session was cancelled',
  },
  taskDuration: {
    labelNames: ['capability', 'tenant', 'outcome'],
    kind: 'histogram',
    name: 'switchyard_task_duration_seconds',
    help: 'How long agent runs took, by capability, tenant and outcome',
    buckets: SECONDS,
  },
  dispatchLatency: {
    labelNames: ['capability', 'tenant'],
    kind: 'histogram',
    name: 'switchyard_dispatch_latency_seconds',
    help: 'From a task becoming ready to its first run starting, by capability and tenant',
    buckets: SECONDS,
  },
  jobsStalled: {
    labelNames: ['queue'],
    kind: 'counter',
    name: 'switchyard_jobs_stalled_total',
    help: 'Jobs whose worker stopped renewing their lock (it died); they run again',
  },
  lockWaits: { labelNames: ['resource'], kind: 'counter', name: 'switchyard_lock_waits_total', help: 'Lock acquisitions that had to wait, by resource kind' },
  lockWaitSeconds: {
    labelNames: ['resource'],
    kind: 'histogram',
    name: 'switchyard_lock_wait_seconds',
    help: 'How long lock acquisitions waited, by resource kind',
    buckets: SECONDS,
  },
  lockFailures: {
    labelNames: ['resource', 'reason'],
    kind: 'counter',
    name: 'switchyard_lock_failures_total',
    help: 'Locks not acquired or lost while held, by resource kind and reason',
  },
} as const satisfies Record<string, MetricDefinition>;

/** Canonical JSON of a label set (keys sorted), so equal sets make equal fields. */
function labelsJson(labels: Labels): string {
  return JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** The hash field of a counter's value for one label set. */
export function counterField(name: string, labels: Labels): string {
  return `${name}|${labelsJson(labels)}`;
}

/** The hash field of one part of a histogram for one label set: a bucket (by its bound), `sum` or `count`. */
export function histogramField(name: string, labels: Labels, part: string): string {
  return `${counterField(name, labels)}|${part}`;
}

/** The bucket a value (in seconds) falls in: the smallest bound at or above it, or `+Inf`. Buckets are stored non-cumulative. */
export function bucketOf(buckets: readonly number[], seconds: number): string {
  const index = bucketIndex(buckets, seconds);
  return index < buckets.length ? String(buckets[index]) : '+Inf';
}

/** The index of {@link bucketOf}'s bucket, `buckets.length` for `+Inf`. */
export function bucketIndex(buckets: readonly number[], seconds: number): number {
  let index = 0;
  while (index < buckets.length && seconds > buckets[index]) index++;
  return index;
}

/** A stored field read back: which metric, which labels, which part (histograms only). */
export function parseField(field: string): { name: string; labels: Labels; part?: string } | undefined {
  const first = field.indexOf('|');
  if (first < 0) return undefined;
  const name = field.slice(0, first);
  const rest = field.slice(first + 1);
  // Label JSON cannot contain a bare `|` outside strings; the part (if any) follows the last one.
  const last = rest.lastIndexOf('|');
  const hasPart = last >= 0 && rest.endsWith('}') === false;
  try {
    return hasPart ? { name, labels: JSON.parse(rest.slice(0, last)) as Labels, part: rest.slice(last + 1) } : { name, labels: JSON.parse(rest) as Labels };
  } catch {
    return undefined;
  }
}
