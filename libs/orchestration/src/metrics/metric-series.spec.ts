import { bucketOf, counterField, histogramField, parseField } from './metric-definitions';
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
      { [counterField('c_total', labels)]: '2', [histogramField('h_seconds', labels, '0.1')]: '1', [histogramField('h_seconds', labels, 'count')]: '1', [histogramField('h_seconds', labels, 'sum')]: '0.05' },
      { [counterField('c_total', labels)]: '3', [histogramField('h_seconds', labels, '10')]: '2', [histogramField('h_seconds', labels, 'count')]: '2', [histogramField('h_seconds', labels, 'sum')]: '9' },
    ]);
    expect(counterSeries(values, 'c_total')).toEqual([{ labels, value: 5 }]);
    const [series] = histogramSeries(values, histogram);
    expect(series.buckets).toEqual([{ le: '0.1', count: 1 }, { le: '1', count: 1 }, { le: '10', count: 3 }, { le: '+Inf', count: 3 }]);
    expect(series).toMatchObject({ count: 3, sum: 9.05 });
    // Rank 1.5 of 3 lies in (1, 10]: a quarter of the way through its 2 values.
    expect(estimateQuantile(series, 0.5)).toBeCloseTo(1 + 9 * 0.25, 10);
    expect(estimateQuantile({ ...series, count: 0 }, 0.5)).toBeNull();
  });
});
