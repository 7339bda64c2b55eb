import { Redis } from 'ioredis';
import { clusterConnection, connectMasters, hashReply, repliesOrThrow, transaction } from '@switchyard/orchestration/adapters/ioredis';
import { OwnRedisCluster } from './support/redis-cluster';

/** The cluster side of socket-writes.ts' `transaction`, on a real 3-master cluster of the test's own. */
describe('transaction on a 3-master Redis Cluster', () => {
  let cluster: OwnRedisCluster;
  let client: Redis;
  const tag = '{tx-test}';

  beforeAll(async () => {
    cluster = await OwnRedisCluster.start();
    client = clusterConnection(cluster.nodes, { connectionName: 'tx-test', boundedWaitMs: 5000 });
    await new Promise((resolve) => client.once('ready', resolve));
    await connectMasters(client);
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.destroy();
  });

  /** The master serving `tag`'s slot now, and another one. */
  async function mastersOf(): Promise<{ owner: Redis; other: Redis; slot: number }> {
    const slot = await cluster.masters[0].redis.cluster('KEYSLOT', tag);
    const ranges = (await cluster.masters[0].redis.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
    const port = ranges.find(([first, last]) => slot >= first && slot <= last)?.[2][1];
    const owner = cluster.masters.find((m) => m.port === port)?.redis as Redis;
    const other = cluster.masters.find((m) => m.port !== port)?.redis as Redis;
    return { owner, other, slot: Number(slot) };
  }

  it("runs on the slot's master as one MULTI … EXEC, replies in order, HGETALL as Redis answers it", async () => {
    const replies = repliesOrThrow(
      await transaction(client, (tx) => [tx.set(`${tag}:a`, '1'), tx.incr(`${tag}:a`), tx.hset(`${tag}:h`, 'f', 'v'), tx.hgetall(`${tag}:h`)]),
    );
    expect(replies.slice(0, 3)).toEqual(['OK', 2, 1]);
    // A flat list, as Redis answers it: not an ioredis pipeline's, which makes it an object.
    expect(replies[3]).toEqual(['f', 'v']);
    expect(hashReply(replies[3])).toEqual({ f: 'v' });
    const { owner } = await mastersOf();
    expect(await owner.get(`${tag}:a`)).toBe('2');
  });

  it('rejects with the error of a command Redis refused, and writes nothing', async () => {
    await expect(transaction(client, (tx) => [tx.incr(`${tag}:refused`), tx.call('NOSUCHCOMMAND', `${tag}:x`)])).rejects.toThrow(/unknown command/);
    const { owner } = await mastersOf();
    expect(await owner.exists(`${tag}:refused`)).toBe(0);
  });

  it('sends a transaction whose slot moved again, to its new master, where it runs once', async () => {
    const { owner, other, slot } = await mastersOf();
    // Warm: the client knows the slot at its first master.
    repliesOrThrow(await transaction(client, (tx) => [tx.set(`${tag}:moved`, 'before')]));
    await owner.del(`${tag}:a`, `${tag}:h`, `${tag}:moved`);
    // The slot (now empty) goes to another master; the client still has it at the first.
    const otherId = String(await other.cluster('MYID'));
    for (const { redis } of cluster.masters) await redis.cluster('SETSLOT', slot, 'NODE', otherId);
    let sends = 0;
    const replies = repliesOrThrow(
      await transaction(client, (tx) => {
        sends += 1;
        return [tx.incr(`${tag}:moved-count`), tx.incr(`${tag}:moved-count`)];
      }),
    );
    expect(replies).toEqual([1, 2]);
    expect(sends).toBe(2);
    expect(await other.get(`${tag}:moved-count`)).toBe('2');
    // Then straight to the new master.
    expect(repliesOrThrow(await transaction(client, (tx) => [tx.incr(`${tag}:moved-count`)]))).toEqual([3]);
  });
});
