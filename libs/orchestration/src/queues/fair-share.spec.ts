import { classCounts, fairPriorities, MAX_BULL_PRIORITY, weightOf } from './fair-share';

/** A grant whose classes (BullMQ priorities) start at the given times; weight 1 unless said. */
const grant = (starts: Record<number, number>, weight = 1) => ({
  starts: new Map(Object.entries(starts).map(([priority, at]) => [Number(priority), at])),
  epoch: 1_000_000,
  turnMs: 1000,
  weight,
});

describe('fairPriorities', () => {
  it('gives a tenant of weight 1 one turn per job, counted from the epoch', () => {
    expect(fairPriorities([1001, 1001, 1001], grant({ 1001: 1_000_000 }))).toEqual([1, 2, 3]);
    expect(fairPriorities([1001], grant({ 1001: 1_005_000 }))).toEqual([6]);
  });

  it('puts a new tenant ahead of a flooding tenant’s later turns', () => {
    const flood = fairPriorities(new Array<number>(600).fill(1001), grant({ 1001: 1_000_000 }));
    // The other tenant arrives 2 s later: its turn starts at now, after only the flood's first two.
    const [newcomer] = fairPriorities([1001], grant({ 1001: 1_002_000 }));
    expect(flood.filter((p) => p <= newcomer).length).toBe(3);
  });

  it('gives a tenant of weight 3 three jobs per turn, so saturated queues serve 3:1', () => {
    const heavy = fairPriorities(new Array<number>(12).fill(1001), grant({ 1001: 1_000_000 }, 3));
    const light = fairPriorities(new Array<number>(4).fill(1001), grant({ 1001: 1_000_000 }, 1));
    expect(heavy).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    expect(light).toEqual([1, 2, 3, 4]);
  });

  it('gives each class’s jobs consecutive turns from the class’s start, in plan order', () => {
    // Wire priorities 0, 10, 5, 10 are BullMQ's 1001, 991, 996, 991; the clock gave 991 the first
    // two turns, 996 the third and 1001 the fourth (see fair-turns.lua).
    expect(fairPriorities([1001, 991, 996, 991], grant({ 991: 1_000_000, 996: 1_002_000, 1001: 1_003_000 }))).toEqual([4, 1, 3, 2]);
  });

  it('refuses a job whose class got no turn', () => {
    expect(() => fairPriorities([991], grant({ 1001: 1_000_000 }))).toThrow(RangeError);
  });

  it('stays within BullMQ’s priorities', () => {
    expect(fairPriorities([1001], grant({ 1001: 1_000_000 + 3000 * MAX_BULL_PRIORITY }))).toEqual([MAX_BULL_PRIORITY]);
    expect(fairPriorities([1001], grant({ 1001: 0 }))).toEqual([1]);
  });
});

describe('classCounts', () => {
  it('counts each class once, most urgent first', () => {
    expect(classCounts([1001, 991, 996, 991])).toEqual([
      { priority: 991, count: 2 },
      { priority: 996, count: 1 },
      { priority: 1001, count: 1 },
    ]);
    expect(classCounts([])).toEqual([]);
  });
});

describe('weightOf', () => {
  it('answers the configured weight, else 1', () => {
    expect(weightOf({ acme: 3 }, 'acme')).toBe(3);
    expect(weightOf({ acme: 3 }, 'globex')).toBe(1);
    expect(weightOf({}, 'constructor')).toBe(1);
  });
});
