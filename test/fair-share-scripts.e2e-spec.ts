import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { fairKeys } from '@switchyard/orchestration/redis/keys';
import { reserveFairTurns } from '@switchyard/orchestration/queues/scripts/fair-turns';
import { acquireTenantSlot, releaseTenantSlot, renewTenantSlot } from '@switchyard/orchestration/queues/scripts/tenant-slots';
import { REDIS_URL } from './support/stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the fair-share scripts, on the real Redis', () => {
  const prefix = `fairs${randomBytes(4).toString('hex')}`;
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await redis.del(fairKeys.clock(prefix), fairKeys.running(prefix, 'acme'));
    await redis.quit();
  });

  it('fair-turns.lua: a tenant’s turns follow on from its last ones; a new tenant’s start at now', async () => {
    const key = fairKeys.clock(prefix);
    const call = { turnMs: 1000, weight: 1, maxPriority: 2_097_151 };
    const first = await reserveFairTurns(redis, key, { ...call, tenant: 'acme', count: 600 });
    expect(first.start).toBe(first.now);
    expect(first.epoch).toBe(first.now);
    const again = await reserveFairTurns(redis, key, { ...call, tenant: 'acme', count: 1 });
    expect(again.start).toBe(first.start + 600_000);
    expect(again.epoch).toBe(first.epoch);
    const other = await reserveFairTurns(redis, key, { ...call, tenant: 'globex', count: 1 });
    expect(other.start).toBe(other.now);
    // Weight 4: a quarter of a turn each.
    const heavy = await reserveFairTurns(redis, key, { ...call, tenant: 'initech', count: 8, weight: 4 });
    expect((await reserveFairTurns(redis, key, { ...call, tenant: 'initech', count: 1, weight: 4 })).start).toBe(heavy.start + 2000);
  });

  it('tenant-slots.lua: at most `max` holds; a hold is kept by renewing, lapses without, and is given back by release', async () => {
    const key = fairKeys.running(prefix, 'acme');
    expect(await acquireTenantSlot(redis, key, 'a', 60_000, 2)).toBe(true);
    expect(await acquireTenantSlot(redis, key, 'b', 150, 2)).toBe(true);
    expect(await acquireTenantSlot(redis, key, 'c', 60_000, 2)).toBe(false);
    // A job that holds a slot already (it runs again) keeps it.
    expect(await acquireTenantSlot(redis, key, 'a', 60_000, 2)).toBe(true);
    await sleep(250);
    // b's hold lapsed: its slot is free, and b can no longer renew it.
    expect(await renewTenantSlot(redis, key, 'b', 150)).toBe(false);
    expect(await acquireTenantSlot(redis, key, 'c', 60_000, 2)).toBe(true);
    expect(await renewTenantSlot(redis, key, 'c', 60_000)).toBe(true);
    await releaseTenantSlot(redis, key, 'a');
    expect(await acquireTenantSlot(redis, key, 'd', 60_000, 2)).toBe(true);
    expect(await redis.zrange(key, '0', '-1')).toEqual(expect.arrayContaining(['c', 'd']));
    expect(await redis.zcard(key)).toBe(2);
  });
});
