import type { Redis } from 'ioredis';
import { SlotRange } from '../adapters/ioredis';
import { ShardTagSlotError } from '../errors/errors';
import { strict } from '../testing/strict-fake';
import { chooseShardTags, keySlot, loadShardTags } from './shard-tags';

/** The slot ranges `redis-cli --cluster create` gives `masters` masters (A, B, C, …). */
function evenRanges(masters: number): SlotRange[] {
  const size = Math.floor(16384 / masters);
  return Array.from({ length: masters }, (_, i) => ({
    first: i * size,
    last: i === masters - 1 ? 16383 : (i + 1) * size - 1,
    master: String.fromCharCode(65 + i),
  }));
}

const masterOf = (ranges: SlotRange[], tag: string) => ranges.find((r) => r.first <= keySlot(tag) && keySlot(tag) <= r.last)!.master;
const perMaster = (ranges: SlotRange[], tags: string[]) => {
  const counts = new Map(ranges.map((r) => [r.master, 0]));
  for (const tag of tags) counts.set(masterOf(ranges, tag), counts.get(masterOf(ranges, tag))! + 1);
  return [...counts.values()];
};

describe('keySlot', () => {
  it('computes the slot Redis gives (CLUSTER KEYSLOT on Redis 7), from the hash tag when there is one', () => {
    const slots = { '{sy-0}': 6617, '{sy-1}': 2552, '{sy-2}': 14747, '{sy}': 12980, '{sy-0.1}': 13936, foo: 12182, 'a{}b': 13694, '{t1-3.7}:x': 5346 };
    for (const [key, slot] of Object.entries(slots)) expect({ key, slot: keySlot(key) }).toEqual({ key, slot });
  });
});

describe('chooseShardTags', () => {
  it('keeps the plain tags when they already fall on three different masters', () => {
    // {sy-0} 6617 → B, {sy-1} 2552 → A, {sy-2} 14747 → C.
    expect(chooseShardTags('sy', 3, evenRanges(3), new Map())).toEqual(['{sy-0}', '{sy-1}', '{sy-2}']);
  });

  it.each([
    [3, 3],
    [6, 3],
    [7, 3],
    [4, 4],
    [10, 4],
  ])('covers every master with %i shards over %i masters, the counts differing by one at most', (count, masters) => {
    const ranges = evenRanges(masters);
    for (const prefix of ['sy', 'acme', 't0a1b2c3d4', 'prod-eu']) {
      const tags = chooseShardTags(prefix, count, ranges, new Map());
      expect(new Set(tags).size).toBe(count);
      const counts = perMaster(ranges, tags);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      tags.forEach((tag, i) => expect(tag === `{${prefix}-${i}}` || tag.startsWith(`{${prefix}-${i}.`)).toBe(true));
    }
  });

  it('replaces a plain tag that would crowd a master with its first candidate on a master with fewer', () => {
    // Two masters, the first serving both {sy-0} (6617) and {sy-1} (2552): shard 1 must move to the second.
    const two: SlotRange[] = [
      { first: 0, last: 9000, master: 'A' },
      { first: 9001, last: 16383, master: 'B' },
    ];
    const tags = chooseShardTags('sy', 2, two, new Map());
    expect(tags[0]).toBe('{sy-0}');
    expect(masterOf(two, tags[1])).toBe('B');
    // The first of {sy-1.1}, {sy-1.2}, … whose slot is past 9000.
    const first = Array.from({ length: 50 }, (_, n) => `{sy-1.${n + 1}}`).find((t) => keySlot(t) > 9000);
    expect(tags[1]).toBe(first);
  });

  it('gives the same answer whatever order CLUSTER SLOTS lists the ranges in', () => {
    const ranges = evenRanges(3);
    expect(chooseShardTags('acme', 6, [...ranges].reverse(), new Map())).toEqual(chooseShardTags('acme', 6, ranges, new Map()));
  });

  it('keeps recorded tags, and puts new shards on the masters with the fewest (a master added since)', () => {
    const before = evenRanges(3);
    const recorded = chooseShardTags('acme', 3, before, new Map());
    const after = evenRanges(4);
    const tags = chooseShardTags('acme', 4, after, new Map(recorded.map((t, i) => [i, t])));
    expect(tags.slice(0, 3)).toEqual(recorded);
    const onD = perMaster(after, tags)[3];
    expect(onD).toBeGreaterThanOrEqual(1);
  });
});

/** A cluster connection that answers the calls loadShardTags makes, and fails on any other. */
function clusterClient(options: { recorded: Record<string, string>; keyslot?: (tag: string) => number }) {
  const hash = { ...options.recorded };
  const calls: string[] = [];
  const client = strict<Redis>('client', {
    hgetall: async (key: string) => (calls.push(`HGETALL ${key}`), { ...hash }),
    hsetnx: async (key: string, field: string, value: string) => {
      calls.push(`HSETNX ${key} ${field} ${value}`);
      if (field in hash) return 0;
      hash[field] = value;
      return 1;
    },
    cluster: async (sub: string, arg?: string) => {
      calls.push(`CLUSTER ${sub}`);
      if (sub === 'SLOTS') return evenRanges(3).map((r, i) => [r.first, r.last, ['10.0.0.' + (i + 1), 6379, `id${i}`, []]]);
      return (options.keyslot ?? keySlot)(arg as string);
    },
  });
  return { client, calls, hash };
}

describe('loadShardTags', () => {
  it('chooses the tags once, records them under the global tag, and checks each slot with CLUSTER KEYSLOT', async () => {
    const { client, calls, hash } = clusterClient({ recorded: {} });
    const tags = await loadShardTags(client, 'sy', 3);
    expect(tags).toEqual(['{sy-0}', '{sy-1}', '{sy-2}']);
    expect(hash).toEqual({ 0: '{sy-0}', 1: '{sy-1}', 2: '{sy-2}' });
    expect(calls.filter((c) => c.startsWith('HSETNX'))).toEqual([
      'HSETNX {sy}:_sy:shard-tags 0 {sy-0}',
      'HSETNX {sy}:_sy:shard-tags 1 {sy-1}',
      'HSETNX {sy}:_sy:shard-tags 2 {sy-2}',
    ]);
    expect(calls.filter((c) => c === 'CLUSTER KEYSLOT')).toHaveLength(3);
  });

  it('takes the recorded tags as they are, without reading the slot layout', async () => {
    const recorded = { 0: '{sy-0.4}', 1: '{sy-1}' };
    const { client, calls } = clusterClient({ recorded });
    expect(await loadShardTags(client, 'sy', 2)).toEqual(['{sy-0.4}', '{sy-1}']);
    expect(calls).not.toContain('CLUSTER SLOTS');
    expect(calls.some((c) => c.startsWith('HSETNX'))).toBe(false);
  });

  it('answers the tags another process recorded first for the same shards', async () => {
    const { client, hash } = clusterClient({ recorded: {} });
    const original = client.hsetnx.bind(client);
    // Another process wins the race for shard 1 with a tag of its own choice.
    Object.assign(client, {
      hsetnx: async (key: string, field: string, value: string) => {
        if (field === '1' && !('1' in hash)) hash['1'] = '{sy-1.9}';
        return original(key, field, value);
      },
    });
    expect((await loadShardTags(client, 'sy', 3))[1]).toBe('{sy-1.9}');
  });

  it('refuses to start when Redis puts a tag in another slot than computed', async () => {
    const { client } = clusterClient({ recorded: {}, keyslot: () => 1 });
    await expect(loadShardTags(client, 'sy', 2)).rejects.toBeInstanceOf(ShardTagSlotError);
  });
});
