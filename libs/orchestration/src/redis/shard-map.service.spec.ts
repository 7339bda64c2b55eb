import type { Redis } from 'ioredis';
import { strict } from '../testing/strict-fake';
import type { RedisConnections } from './redis-connections.service';
import { ShardMap } from './shard-map.service';
import { ShardRouter } from './shards';

/** Slots of `{sy-0}`, `{sy-1}`, `{sy-2}` (CLUSTER KEYSLOT on Redis 7) and three masters' ranges. */
const SLOTS: Record<string, number> = { '{sy-0}': 6617, '{sy-1}': 2552, '{sy-2}': 14747 };
const ranges = (masters: [string, number][]) =>
  masters.map(([host, port], i) => [i * 5461, i === masters.length - 1 ? 16383 : i * 5461 + 5460, [host, port, `id${i}`, []]]);

function clusterConnections(slots: () => unknown[]): { connections: RedisConnections; calls: string[] } {
  const calls: string[] = [];
  const client = strict<Redis>('client', {
    cluster: (sub: string, arg?: string) => {
      calls.push(sub);
      return Promise.resolve(sub === 'KEYSLOT' ? SLOTS[arg as string] : slots());
    },
  });
  return { connections: strict<RedisConnections>('redis', { cluster: true, client }), calls };
}

describe('ShardMap', () => {
  it('names the master serving each shard, and the masters no shard lives on', async () => {
    const { connections } = clusterConnections(() =>
      ranges([
        ['10.0.0.1', 7000],
        ['10.0.0.2', 7000],
        ['10.0.0.3', 7000],
      ]),
    );
    const view = await new ShardMap(connections, new ShardRouter('sy', 2)).current();
    expect(view).toMatchObject({
      mode: 'cluster',
      shards: [
        { shard: 0, tag: '{sy-0}', slot: 6617, node: '10.0.0.2:7000' },
        { shard: 1, tag: '{sy-1}', slot: 2552, node: '10.0.0.1:7000' },
      ],
      masters: ['10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000'],
      idleMasters: ['10.0.0.3:7000'],
    });
  });

  it('asks for the tags’ slots once, and for the slot ranges each time it reads the map', async () => {
    let masters: [string, number][] = [
      ['10.0.0.1', 7000],
      ['10.0.0.2', 7000],
      ['10.0.0.3', 7000],
    ];
    const { connections, calls } = clusterConnections(() => ranges(masters));
    const map = new ShardMap(connections, new ShardRouter('sy', 3));
    expect((await map.current()).idleMasters).toEqual([]);
    // A failover: another node now serves the second range.
    masters = [masters[0], ['10.0.0.9', 7000], masters[2]];
    await (map as unknown as { reread(): Promise<void> }).reread();
    expect((await map.current()).shards[0].node).toBe('10.0.0.9:7000');
    expect(calls.filter((c) => c === 'KEYSLOT')).toHaveLength(3);
    expect(calls.filter((c) => c === 'SLOTS')).toHaveLength(2);
  });

  it('puts every shard on the one Redis without a cluster', async () => {
    const connections = strict<RedisConnections>('redis', { cluster: false, target: 'redis://:secret@redis:6379' });
    const view = await new ShardMap(connections, new ShardRouter('sy', 2)).current();
    expect(view).toMatchObject({
      mode: 'single',
      shards: [
        { shard: 0, tag: '{sy-0}', slot: null, node: 'redis://redis:6379' },
        { shard: 1, tag: '{sy-1}', slot: null, node: 'redis://redis:6379' },
      ],
      idleMasters: [],
    });
  });
});
