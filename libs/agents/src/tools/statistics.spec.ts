import { describeRows, percentile } from './statistics';

describe('describeRows', () => {
  it('computes numeric statistics on known data', () => {
    const rows = [2, 4, 4, 4, 5, 5, 7, 9].map((v) => ({ v }));
    const { columns } = describeRows(rows, { percentiles: [0, 25, 90, 100] });
    expect(columns.v).toEqual({
      type: 'number',
      count: 8,
      missing: 0,
      min: 2,
      max: 9,
      sum: 40,
      mean: 5,
      median: 4.5,
      // Sample standard deviation of this classic set: sqrt(32 / 7).
      stddev: Math.sqrt(32 / 7),
      percentiles: { p0: 2, p25: 4, p90: 7.6, p100: 9 },
    });
  });

  it("interpolates percentiles like numpy's default (linear)", () => {
    const sorted = [1, 2, 3, 4];
    expect([0, 10, 50, 75, 99, 100].map((p) => percentile(sorted, p))).toEqual([1, 1.3, 2.5, 3.25, 3.9699999999999998, 4]);
    expect(percentile([42], 90)).toBe(42);
  });

  it('reads numbers from CSV text, counts missing values, and treats mixed columns as text', () => {
    const rows = [
      { city: 'Oslo', temp: '3', note: '' },
      { city: 'Rio', temp: '31.5', note: 'hot' },
      { city: 'Oslo', temp: '', note: '7' },
      { city: 'Lima', temp: '-1e1', note: 'x' },
    ];
    const { rows: n, columns } = describeRows(rows);
    expect(n).toBe(4);
    expect(columns.temp).toMatchObject({ type: 'number', count: 3, missing: 1, min: -10, max: 31.5, sum: 24.5, median: 3 });
    expect(columns.city).toEqual({
      type: 'text',
      count: 4,
      missing: 0,
      distinct: 3,
      values: [
        { value: 'Oslo', count: 2 },
        { value: 'Lima', count: 1 },
        { value: 'Rio', count: 1 },
      ],
    });
    expect(columns.note).toMatchObject({ type: 'text', count: 3, missing: 1, distinct: 3 });
  });

  it('takes the union of keys, keeps only the top values, and describes non-scalars as JSON', () => {
    const rows = [{ a: 1 }, { b: true }, { b: false, c: [1] }, { b: true, c: { x: 1 } }];
    const { columns } = describeRows(rows, { topValues: 1 });
    expect(Object.keys(columns)).toEqual(['a', 'b', 'c']);
    expect(columns.a).toMatchObject({ type: 'number', count: 1, missing: 3, stddev: 0 });
    expect(columns.b).toEqual({ type: 'text', count: 3, missing: 1, distinct: 2, values: [{ value: 'true', count: 2 }] });
    expect(columns.c).toMatchObject({ type: 'text', distinct: 2 });
  });

  it('describes an empty table', () => {
    expect(describeRows([])).toEqual({ rows: 0, columns: {} });
  });

  it('does not take text that only starts like a number for one', () => {
    expect(describeRows([{ v: '12abc' }, { v: '3' }]).columns.v.type).toBe('text');
    expect(describeRows([{ v: 'Infinity' }]).columns.v.type).toBe('text');
  });
});
