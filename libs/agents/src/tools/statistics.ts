/** Statistics of a column whose every present value is a number. */
export interface NumericColumnStats {
  readonly type: 'number';
  /** Values present. */
  readonly count: number;
  /** Rows where the column is absent, null or empty. */
  readonly missing: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly mean: number;
  readonly median: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  readonly stddev: number;
  /** `p<k>` for each asked percentile k, by linear interpolation between the closest ranks. */
  readonly percentiles: Record<string, number>;
}

/** Counts of the values of any other column. */
export interface TextColumnStats {
  readonly type: 'text';
  readonly count: number;
  readonly missing: number;
  /** How many distinct values there are. */
  readonly distinct: number;
  /** The most frequent values (most first, ties by value), at most `topValues` of them. */
  readonly values: { value: string; count: number }[];
}

export type ColumnStats = NumericColumnStats | TextColumnStats;

export interface DatasetStats {
  readonly rows: number;
  readonly columns: Record<string, ColumnStats>;
}

export interface StatisticsOptions {
  /** @defaultValue [25, 50, 75, 90, 95, 99] */
  readonly percentiles?: readonly number[];
  /** @defaultValue 10 */
  readonly topValues?: number;
}

const NUMBER_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** A number as the column holds it: a JSON number, or text that is exactly a decimal number. */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMBER_TEXT.test(value)) return Number(value);
  return undefined;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The value at percentile `p` (0–100) of sorted values, interpolating between closest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 1) return sorted[0];
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

function numericStats(values: number[], missing: number, percentiles: readonly number[]): NumericColumnStats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const sum = sorted.reduce((s, v) => s + v, 0);
  const mean = sum / n;
  const squares = sorted.reduce((s, v) => s + (v - mean) ** 2, 0);
  return {
    type: 'number',
    count: n,
    missing,
    min: sorted[0],
    max: sorted[n - 1],
    sum,
    mean,
    median: percentile(sorted, 50),
    stddev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    percentiles: Object.fromEntries(percentiles.map((p) => [`p${p}`, percentile(sorted, p)])),
  };
}

function textStats(values: string[], missing: number, topValues: number): TextColumnStats {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const ranked = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return {
    type: 'text',
    count: values.length,
    missing,
    distinct: counts.size,
    values: ranked.slice(0, topValues).map(([value, count]) => ({ value, count })),
  };
}

/**
 * Describes a table: per column, numeric statistics when every present value is a number (JSON
 * numbers, or CSV text that reads as one), otherwise counts of its distinct values. Columns are
 * the union of the rows' keys, in order of first appearance; a column with no value present is
 * text with a count of 0.
 */
export function describeRows(rows: readonly Record<string, unknown>[], options: StatisticsOptions = {}): DatasetStats {
  const percentiles = options.percentiles ?? [25, 50, 75, 90, 95, 99];
  const topValues = options.topValues ?? 10;
  const names: string[] = [];
  const known = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!known.has(key)) {
        known.add(key);
        names.push(key);
      }
    }
  }
  const columns: Record<string, ColumnStats> = {};
  for (const name of names) {
    const present = rows.map((row) => row[name]).filter((v) => !isMissing(v));
    const missing = rows.length - present.length;
    const numbers = present.map(asNumber);
    columns[name] =
      present.length > 0 && numbers.every((n) => n !== undefined)
        ? numericStats(numbers as number[], missing, percentiles)
        : textStats(present.map(asText), missing, topValues);
  }
  return { rows: rows.length, columns };
}
