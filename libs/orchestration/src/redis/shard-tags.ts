import type { Redis } from 'ioredis';
import { SlotRange, slotRanges } from '../adapters/ioredis';
import { ShardTagSlotError } from '../errors/errors';
import { registryKeys, ShardTag, shardTag } from './keys';

/** How many candidate tags a shard tries before giving up on its master (each hits a given third of the slots with p ≈ 1/3). */
const MAX_CANDIDATES = 10_000;

/**
 * The Redis Cluster slot of `key`: CRC16 (XMODEM) of its hash tag (or of the whole key when it
 * has none), modulo 16384, as Redis computes it. Used to scan candidate tags without a round trip
 * each; every tag chosen is checked against CLUSTER KEYSLOT.
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** Shard `index`'s candidate tags, in the order they are tried: `{prefix-i}`, `{prefix-i.1}`, `{prefix-i.2}`, … */
function candidate(prefix: string, index: number, n: number): ShardTag {
  return (n === 0 ? shardTag(prefix, index) : `{${prefix}-${index}.${n}}`) as ShardTag;
}

function masterOf(ranges: readonly SlotRange[], slot: number): string | undefined {
  return ranges.find((r) => r.first <= slot && slot <= r.last)?.master;
}

/**
 * The tags of shards 0 … count-1 on a cluster whose slots `ranges` describes, keeping the tags in
 * `recorded` (by shard index). Each other shard, in index order, goes to a master that has the
 * fewest shards so far: the one its plain tag `{prefix-i}` already lands on if that master is one
 * of them, else the first of them in slot order. It takes the first of its candidate tags whose
 * slot that master serves. So with count ≥ masters every master gets a shard and the shards
 * spread evenly (counts differ by one at most), and the answer depends only on the slot layout
 * and the record: every process computes the same.
 */
export function chooseShardTags(prefix: string, count: number, ranges: readonly SlotRange[], recorded: ReadonlyMap<number, ShardTag>): ShardTag[] {
  const masters = [...new Map([...ranges].sort((a, b) => a.first - b.first).map((r) => [r.master, 0]))];
  const load = new Map(masters);
  const tags: (ShardTag | undefined)[] = Array.from({ length: count }, (_, i) => recorded.get(i));
  for (const tag of tags) {
    const master = tag && masterOf(ranges, keySlot(tag));
    if (master) load.set(master, (load.get(master) ?? 0) + 1);
  }
  for (let i = 0; i < count; i++) {
    if (tags[i]) continue;
    const fewest = Math.min(...load.values());
    const least = [...load].filter(([, n]) => n === fewest).map(([m]) => m);
    const plain = masterOf(ranges, keySlot(candidate(prefix, i, 0)));
    const target = plain && least.includes(plain) ? plain : least[0];
    tags[i] = tagOn(prefix, i, target, ranges);
    load.set(target, fewest + 1);
  }
  return tags as ShardTag[];
}

function tagOn(prefix: string, index: number, master: string, ranges: readonly SlotRange[]): ShardTag {
  for (let n = 0; n < MAX_CANDIDATES; n++) {
    const tag = candidate(prefix, index, n);
    if (masterOf(ranges, keySlot(tag)) === master) return tag;
  }
  // Only a master serving a tiny share of the slots gets here: let the plain tag stand.
  return candidate(prefix, index, 0);
}

/**
 * The deployment's shard tags on a cluster: those recorded under the global tag by the first
 * process that chose them (`registryKeys.shardTags`, shard index → tag), and for shards not
 * recorded yet, the tags {@link chooseShardTags} gives for the slot layout now, recorded in turn
 * (HSETNX: should two processes choose at once, the first write of each shard wins and both read
 * it back). A tag never changes once recorded: its shard's sessions' keys carry it. Each tag's
 * slot is checked with CLUSTER KEYSLOT.
 */
export async function loadShardTags(client: Redis, prefix: string, count: number): Promise<ShardTag[]> {
  const key = registryKeys.shardTags(prefix);
  const read = async () => new Map(Object.entries(await client.hgetall(key)).map(([i, tag]) => [Number(i), tag as ShardTag]));
  let recorded = await read();
  if (Array.from({ length: count }, (_, i) => i).some((i) => !recorded.has(i))) {
    const chosen = chooseShardTags(prefix, count, await slotRanges(client), recorded);
    const unrecorded = chosen.map((tag, i) => [i, tag] as const).filter(([i]) => !recorded.has(i));
    await Promise.all(unrecorded.map(([i, tag]) => client.hsetnx(key, String(i), tag)));
    recorded = await read();
  }
  const tags = Array.from({ length: count }, (_, i) => recorded.get(i) as ShardTag);
  await Promise.all(
    tags.map(async (tag) => {
      const slot = Number(await client.cluster('KEYSLOT', tag));
      if (slot !== keySlot(tag)) throw new ShardTagSlotError(tag, slot, keySlot(tag));
    }),
  );
  return tags;
}
