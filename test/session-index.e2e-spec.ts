import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisConnections } from '@switchyard/orchestration/redis/redis-connections.service';
import { keys, shardTag } from '@switchyard/orchestration/redis/keys';
import { ShardRouter } from '@switchyard/orchestration/redis/shards';
import { decodeListCursor, SessionIndex, SessionPage } from '@switchyard/orchestration/sessions/session-index.store';
import { REDIS_URL } from './support/stack';

/**
 * The session list's merge over shards on the real Redis, with more sessions per shard than one
 * read of an index takes, and many created in the same millisecond.
 */
describe('SessionIndex: paging merged over shards', () => {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const shards = new ShardRouter(prefix, 3);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const index = new SessionIndex({ client: redis } as unknown as RedisConnections, shards);
  /** Every session, newest first (by time, then id). */
  let expected: { id: string; at: number; tenant: string }[] = [];

  beforeAll(async () => {
    const base = Date.parse('2026-12-01T00:00:00Z');
    const sessions = Array.from({ length: 420 }, (_, i) => {
      const shard = (i * 7) % 3;
      // Bursts of five sessions in one millisecond, spread unevenly over the shards.
      return { id: `${shard}-${randomUUID()}`, at: base + Math.floor(i / 5) * (shard + 1), tenant: i % 4 === 0 ? 'globex' : 'acme' };
    });
    const batch = redis.multi();
    for (const s of sessions) {
      const tag = shardTag(prefix, Number(s.id.split('-')[0]));
      const createdAt = new Date(s.at).toISOString();
      batch.hset(keys.session(tag, s.id), { id: s.id, tenant: s.tenant, status: 'running', createdAt, updatedAt: createdAt });
      batch.zadd(keys.sessionIndex(tag), s.at, s.id);
      batch.zadd(keys.tenantSessionIndex(tag, s.tenant), s.at, s.id);
    }
    await batch.exec();
    expected = sessions.sort((a, b) => b.at - a.at || (a.id > b.id ? -1 : 1));
  });

  afterAll(async () => {
    for (const tag of shards.tags) {
      const found = await redis.keys(`${tag}*`);
      if (found.length > 0) await redis.del(...found);
    }
    await redis.quit();
  });

  const walk = async (scope: 'all' | { tenant: string }, limit: number, since?: string) => {
    const seen: string[] = [];
    let page: SessionPage | undefined;
    for (let i = 0; i < 1000 && (page === undefined || page.nextCursor !== null); i++) {
      const cursor = page?.nextCursor ?? undefined;
      page = await index.list(scope, { limit, since, cursor: cursor === undefined ? undefined : decodeListCursor(cursor) });
      expect(page.sessions.length).toBeLessThanOrEqual(limit);
      seen.push(...page.sessions.map((s) => s.sessionId));
    }
    return seen;
  };

  it('lists every session once, newest first, whatever the page size', async () => {
    for (const limit of [1, 7, 20, 100]) {
      expect([limit, await walk('all', limit)]).toEqual([limit, expected.map((s) => s.id)]);
    }
  });

  it("lists one tenant's sessions, and those since a time, the same way", async () => {
    expect(await walk({ tenant: 'globex' }, 13)).toEqual(expected.filter((s) => s.tenant === 'globex').map((s) => s.id));
    const since = new Date(expected[150].at).toISOString();
    expect(await walk('all', 9, since)).toEqual(expected.filter((s) => s.at >= expected[150].at).map((s) => s.id));
  });

  it('skips and removes the entries of sessions that have expired', async () => {
    const gone = expected.slice(10, 30);
    for (const s of gone) await redis.del(keys.session(shardTag(prefix, Number(s.id[0])), s.id));
    expect(await walk('all', 25)).toEqual(expected.filter((s) => !gone.includes(s)).map((s) => s.id));
    for (const s of gone) expect(await redis.zscore(keys.sessionIndex(shardTag(prefix, Number(s.id[0]))), s.id)).toBeNull();
  });
});

/** SessionIndex.trim on the real Redis: one script call per index (sweep-session-index.lua). */
describe('SessionIndex: trimming expired entries as sessions start', () => {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const shards = new ShardRouter(prefix, 1);
  const tag = shards.tags[0];
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const index = new SessionIndex({ client: redis } as unknown as RedisConnections, shards);
  const entry = (i: number) => `0-${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
  const indexed = async (key: string) => redis.zrange(key, '0', '-1');

  afterAll(async () => {
    const found = await redis.keys(`${tag}*`);
    if (found.length > 0) await redis.del(...found);
    await redis.quit();
  });

  it("drops the tenant's oldest expired entries from both indexes, another tenant's only from the shard's, and keeps live ones", async () => {
    // Oldest first: acme's 0 (expired), globex's 1 (expired), acme's 2 (live), acme's 3 (expired),
    // then acme's 4..9 (expired, but past the four oldest each start checks).
    for (let i = 0; i < 10; i++) {
      const tenant = i === 1 ? 'globex' : 'acme';
      await redis.zadd(keys.sessionIndex(tag), 1000 + i, entry(i));
      await redis.zadd(keys.tenantSessionIndex(tag, tenant), 1000 + i, entry(i));
      if (i === 2) await redis.hset(keys.session(tag, entry(i)), { id: entry(i), tenant, status: 'running' });
    }
    await index.trim(tag, 'acme');
    expect(await indexed(keys.tenantSessionIndex(tag, 'acme'))).toEqual([2, 5, 6, 7, 8, 9].map(entry));
    expect(await indexed(keys.tenantSessionIndex(tag, 'globex'))).toEqual([entry(1)]);
    // The shard's own four oldest after that (1, 2, 5, 6): any tenant's expired ones leave it.
    expect(await indexed(keys.sessionIndex(tag))).toEqual([2, 7, 8, 9].map(entry));
    // The next start checks the next four; the live one stays however often it is checked.
    await index.trim(tag, 'acme');
    expect(await indexed(keys.tenantSessionIndex(tag, 'acme'))).toEqual([2, 8, 9].map(entry));
    expect(await indexed(keys.sessionIndex(tag))).toEqual([entry(2)]);
  });
});
