import { bucketOf, counterField, histogramField, METRICS, parseField } from './metric-definitions';
import { counterSeries, estimateQuantile, histogramSeries, sumHashes } from './metric-series';

const histogram = { kind: 'histogram', name: 'h_seconds', help: '', labelNames: ['capability'], buckets: [0.1, 1, 10] } as const;

describe('stored metrics', () => {
  it('round-trips fields, labels with any characters included', () => {
    const labels = { resource: 'state|shared {x}', reason: 'timeout' };
    expect(parseField(counterField('c_total', labels))).toEqual({ name: 'c_total', labels });
    expect(parseField(histogramField('h_seconds', labels, '+Inf'))).toEqual({ name: 'h_seconds', labels, part: '+Inf' });
    expect(counterField('c', { b: '2', a: '1' })).toBe(counterField('c', { a: '1', b: '2' }));
  });

  it('puts a value in the smallest bucket that holds it', () => {
    expect(bucketOf(histogram.buckets, 0.05)).toBe('0.1');
    expect(bucketOf(histogram.buckets, 1)).toBe('1');
    expect(bucketOf(histogram.buckets, 11)).toBe('+Inf');
  });

  it('sums shards and makes buckets cumulative', () => {
    const labels = { capability: 'x' };
    const values = sumHashes([
      {
        [counterField('c_total', labels)]: '2',
        [histogramField('h_seconds', labels, '0.1')]: '1',
        [histogramField('h_seconds', labels, 'count')]: '1',
        [histogramField('h_seconds', labels, 'sum')]: '0.05',
      },
      {
        [counterField('c_total', labels)]: '3',
        [histogramField('h_seconds', labels, '10')]: '2',
        [histogramField('h_seconds', labels, 'count')]: '2',
        [histogramField('h_seconds', labels, 'sum')]: '9',
      },
    ]);
    expect(counterSeries(values, 'c_total')).toEqual([{ labels, value: 5 }]);
    const [series] = histogramSeries(values, histogram);
    expect(series.buckets).toEqual([
      { le: '0.1', count: 1 },
      { le: '1', count: 1 },
      { le: '10', count: 3 },
      { le: '+Inf', count: 3 },
    ]);
    expect(series).toMatchObject({ count: 3, sum: 9.05 });
    // Rank 1.5 of 3 lies in (1, 10]: a quarter of the way through its 2 values.
    expect(estimateQuantile(series, 0.5)).toBeCloseTo(1 + 9 * 0.25, 10);
    expect(estimateQuantile({ ...series, count: 0 }, 0.5)).toBeNull();
  });
});

describe('quantiles of recorded task durations', () => {
  /** The series /stats reads after the given runs were recorded, as the recorder stores them. */
  function recorded(seconds: readonly number[]) {
    const metric = METRICS.taskDuration;
    const labels = { capability: 'web_research', tenant: 'acme', outcome: 'completed' };
    const hash: Record<string, string> = {};
    const add = (part: string, by: number) => {
      const field = histogramField(metric.name, labels, part);
      hash[field] = String(Number(hash[field] ?? 0) + by);
    };
    for (const value of seconds) {
      add(bucketOf(metric.buckets, value), 1);
      add('count', 1);
      add('sum', value);
    }
    return histogramSeries(sumHashes([hash]), metric)[0];
  }

  const exactQuantile = (seconds: readonly number[], q: number) => [...seconds].sort((a, b) => a - b)[Math.ceil(q * seconds.length) - 1];

  it.each([
    ['about 1 s', 0.97, 1.06],
    ['about 0.3 s', 0.28, 0.33],
    ['about 2 s', 1.9, 2.1],
    ['about 4 s', 3.8, 4.3],
  ])('estimates p50 of runs that all took %s within 5%%, p95 within 20%%', (_what, from, to) => {
    const seconds = Array.from({ length: 100 }, (_, i) => from + ((to - from) * i) / 99);
    const series = recorded(seconds);
    const error = (q: number) => Math.abs(estimateQuantile(series, q)! - exactQuantile(seconds, q)) / exactQuantile(seconds, q);
    expect(error(0.5)).toBeLessThan(0.05);
    expect(error(0.95)).toBeLessThan(0.2);
  });
});
