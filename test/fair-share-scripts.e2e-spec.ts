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

  const call = { turnMs: 1000, weight: 1, maxPriority: 2_097_151, maxClasses: 16 };
  /** One class's turns: its first start, the epoch and now. */
  const reserve = async (tenant: string, priority: number, count: number, extra: Partial<typeof call> = {}) => {
    const turns = await reserveFairTurns(redis, fairKeys.clock(prefix), { ...call, ...extra, tenant, classes: [{ priority, count }] });
    return { start: turns.starts[0], epoch: turns.epoch, now: turns.now };
  };
  const field = (tenant: string) => redis.hget(fairKeys.clock(prefix), `t:${tenant}`);

  it('fair-turns.lua: a tenant’s turns follow on from its last ones; a new tenant’s start at now', async () => {
    const first = await reserve('acme', 1001, 600);
    expect(first.start).toBe(first.now);
    expect(first.epoch).toBe(first.now);
    const again = await reserve('acme', 1001, 1);
    expect(again.start).toBe(first.start + 600_000);
    expect(again.epoch).toBe(first.epoch);
    const other = await reserve('globex', 1001, 1);
    expect(other.start).toBe(other.now);
    // Weight 4: a quarter of a turn each.
    const heavy = await reserve('initech', 1001, 8, { weight: 4 });
    expect((await reserve('initech', 1001, 1, { weight: 4 })).start).toBe(heavy.start + 2000);
  });

  it('fair-turns.lua: a more urgent class takes the tenant’s earliest free turn and moves the less urgent ones on', async () => {
    const flood = await reserve('hooli', 1001, 600);
    // Urgent work after the flood starts at now, not behind it.
    const urgent = await reserve('hooli', 991, 2);
    expect(urgent.start).toBe(urgent.now);
    // It cost the tenant its turns: the flood's class moved on by two.
    expect((await reserve('hooli', 1001, 1)).start).toBe(flood.start + 602_000);
    // A class between the two follows the urgent one's turns (three so far: the flood's last move included).
    const middle = await reserve('hooli', 996, 1);
    expect(middle.start).toBe(urgent.start + 2000);
    expect((await reserve('hooli', 991, 1)).start).toBe(urgent.start + 2000);
    expect((await reserve('hooli', 1001, 1)).start).toBe(flood.start + 605_000);
    // One call, several classes: most urgent first, each moving the later ones on.
    const turns = await reserveFairTurns(redis, fairKeys.clock(prefix), {
      ...call,
      tenant: 'umbrella',
      classes: [
        { priority: 991, count: 2 },
        { priority: 1001, count: 3 },
      ],
    });
    expect(turns.starts).toEqual([turns.now, turns.now + 2000]);
  });

  it('fair-turns.lua: keeps at most maxClasses finish times per tenant (never earlier ones), and drops those due', async () => {
    const classes = [1, 2, 3, 4, 5].map((priority) => ({ priority, count: 1 }));
    const turns = await reserveFairTurns(redis, fairKeys.clock(prefix), { ...call, maxClasses: 3, tenant: 'massive', classes });
    expect(turns.starts).toEqual([0, 1, 2, 3, 4].map((n) => turns.now + n * 1000));
    const pairs = (await field('massive'))!.split(' ').map((pair) => pair.split(':').map(Number));
    expect(pairs).toHaveLength(3);
    // Each class's kept next turn is no earlier than the one it had (1 000 ms after its start).
    for (const [priority, finish] of pairs) expect(finish).toBeGreaterThanOrEqual(turns.starts[priority - 1] + 1000);
    expect((await reserve('massive', 5, 1, { maxClasses: 3 })).start).toBe(turns.now + 5000);
    // Turns of 1 ms are due at once: a later call keeps only its own class.
    await reserve('brief', 7, 1, { turnMs: 1 });
    await sleep(5);
    const later = await reserve('brief', 9, 1, { turnMs: 1 });
    expect(later.start).toBe(later.now);
    expect(await field('brief')).toBe(`9:${later.now + 1}`);
  });

  it('fair-turns.lua: reads a finish time written before classes as every class’s', async () => {
    const now = Date.now();
    await redis.hset(fairKeys.clock(prefix), 't:legacy', String(now + 60_000));
    expect((await reserve('legacy', 1, 1)).start).toBe(now + 60_000);
    expect((await reserve('legacy', 1001, 1)).start).toBe(now + 61_000);
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
