import { TickBatcher } from './tick-batcher';

describe('TickBatcher', () => {
  it('runs the calls of one tick as one batch per group, answering each call with its own result', async () => {
    const runs: [string, number[]][] = [];
    const batcher = new TickBatcher<string, number, number>(async (group, items) => {
      runs.push([group, items]);
      return items.map((n) => n * 10);
    });
    const results = await Promise.all([batcher.add('a', 1), batcher.add('b', 2), batcher.add('a', 3)]);
    expect(results).toEqual([10, 20, 30]);
    expect(runs).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
  });

  it('gathers calls made by promise reactions of the same tick, and starts a new batch after', async () => {
    const sizes: number[] = [];
    const batcher = new TickBatcher<string, number, number>(async (_group, items) => {
      sizes.push(items.length);
      return items;
    });
    // Three "jobs" whose replies arrived together each start after a few promise hops.
    await Promise.all(
      [1, 2, 3].map(async (n) => {
        await Promise.resolve();
        await Promise.resolve();
        return batcher.add('shard', n);
      }),
    );
    await batcher.add('shard', 4);
    expect(sizes).toEqual([3, 1]);
  });

  it('rejects every call of a batch that failed, and only those', async () => {
    const batcher = new TickBatcher<string, number, number>(async (group, items) => {
      if (group === 'down') throw new Error('no answer');
      return items;
    });
    const [down, up] = await Promise.allSettled([batcher.add('down', 1), batcher.add('up', 2)]);
    expect(down).toMatchObject({ status: 'rejected', reason: new Error('no answer') });
    expect(up).toEqual({ status: 'fulfilled', value: 2 });
  });
});
