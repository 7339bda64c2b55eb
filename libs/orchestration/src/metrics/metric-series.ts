import { HistogramDefinition, Labels, parseField } from './metric-definitions';

/** A counter's value for one label set. */
export interface CounterSeries {
  readonly labels: Labels;
  readonly value: number;
}

/** A histogram for one label set, buckets cumulative (as Prometheus has them), `+Inf` last. */
export interface HistogramSeries {
  readonly labels: Labels;
  readonly buckets: readonly { readonly le: string; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

/** Sums the metrics hashes of several shards (field → value). */
export function sumHashes(hashes: readonly Record<string, string>[]): Map<string, number> {
  const total = new Map<string, number>();
  for (const hash of hashes) {
    for (const [field, raw] of Object.entries(hash)) total.set(field, (total.get(field) ?? 0) + Number(raw));
  }
  return total;
}

export function counterSeries(values: ReadonlyMap<string, number>, name: string): CounterSeries[] {
  const out: CounterSeries[] = [];
  for (const [field, value] of values) {
    const parsed = parseField(field);
    if (parsed && parsed.name === name && parsed.part === undefined) out.push({ labels: parsed.labels, value });
  }
  return out;
}

export function histogramSeries(values: ReadonlyMap<string, number>, metric: HistogramDefinition): HistogramSeries[] {
  const byLabels = new Map<string, { labels: Labels; parts: Map<string, number> }>();
  for (const [field, value] of values) {
    const parsed = parseField(field);
    if (!parsed || parsed.name !== metric.name || parsed.part === undefined) continue;
    const key = JSON.stringify(parsed.labels);
    let series = byLabels.get(key);
    if (!series) {
      series = { labels: parsed.labels, parts: new Map() };
      byLabels.set(key, series);
    }
    series.parts.set(parsed.part, value);
  }
  return [...byLabels.values()].map(({ labels, parts }) => {
    let running = 0;
    const buckets = [...metric.buckets.map(String), '+Inf'].map((le) => {
      running += parts.get(le) ?? 0;
      return { le, count: running };
    });
    return { labels, buckets, sum: parts.get('sum') ?? 0, count: parts.get('count') ?? 0 };
  });
}

/**
 * Estimates a quantile from cumulative buckets the way Prometheus' histogram_quantile does
 * (linear within the bucket); in the `+Inf` bucket it answers the highest finite bound.
 */
export function estimateQuantile(series: HistogramSeries, q: number): number | null {
  if (series.count === 0) return null;
  const rank = q * series.count;
  let lower = 0;
  let below = 0;
  for (const { le, count } of series.buckets) {
    if (count >= rank) {
      if (le === '+Inf') return lower;
      const upper = Number(le);
      const inBucket = count - below;
      return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    if (le !== '+Inf') lower = Number(le);
    below = count;
  }
  return lower;
}

/** Adds up series that share the given label (e.g. every capability's). */
export function mergeHistograms(series: readonly HistogramSeries[]): HistogramSeries | undefined {
  if (series.length === 0) return undefined;
  return series.reduce((sum, s) => ({
    labels: {},
    buckets: sum.buckets.map((b, i) => ({ le: b.le, count: b.count + s.buckets[i].count })),
    sum: sum.sum + s.sum,
    count: sum.count + s.count,
  }));
}
