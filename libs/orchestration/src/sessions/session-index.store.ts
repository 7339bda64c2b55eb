import { Injectable } from '@nestjs/common';
import { RedisConnections } from '../redis/redis-connections.service';
import { keys, ShardTag } from '../redis/keys';
import { ShardRouter } from '../redis/shards';
import { SessionStatus } from './session.types';
import { sweepSessionIndex } from './scripts/sweep-session-index';

/**
 * A place in the session list, newest first: sessions are ordered by creation time (epoch ms),
 * then by id, both descending. A page starts strictly after its cursor's position, whatever the
 * shard, so one cursor serves every shard's index at once.
 */
export interface ListPosition {
  readonly at: number;
  readonly id: string;
}

/** One session as the list shows it. */
export interface SessionSummary {
  sessionId: string;
  status: SessionStatus;
  goal: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  tasks: { total: number };
}

export interface SessionListQuery {
  /** Only sessions in one of these statuses; every status without it. */
  readonly status?: readonly SessionStatus[];
  /** Only sessions created at or after this time (ISO 8601). */
  readonly since?: string;
  readonly limit: number;
  readonly cursor?: ListPosition;
}

export interface SessionPage {
  sessions: SessionSummary[];
  nextCursor: string | null;
}

/** Which index to read: one tenant's sessions, or every tenant's (an admin's list). */
export type ListScope = { readonly tenant: string } | 'all';

/**
 * How many index entries one request reads at most: with a status filter that few sessions
 * match, the page may come back short, with a cursor to go on from.
 */
const SCAN_BUDGET = 1000;
/** Entries read from each shard's index per round, at most (a page without a filter reads limit + 1). */
const BATCH = 100;
/** How many of an index's oldest entries each list request checks for expired sessions. */
const SWEEP = 20;
/** How many each session start checks (see {@link SessionIndex.trim}). */
const TRIM = 4;

export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(`${position.at}:${position.id}`).toString('base64url');
}

/** The position a cursor names, or `undefined` when it is not one this API made. */
export function decodeListCursor(cursor: string): ListPosition | undefined {
  const match = /^(\d{1,15}):(\d{1,4}-[0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? { at: Number(match[1]), id: match[2] } : undefined;
}

/** Whether `a` comes before `b` in the list (newer, or as new with a greater id). */
const before = (a: ListPosition, b: ListPosition) => a.at > b.at || (a.at === b.at && a.id > b.id);

/**
 * The session list: each shard's sorted sets of session ids by creation time (written with the
 * session, see SessionStore.sendCreate), merged newest first across shards. A session's keys
 * expire with the retention while its index entries do not: an entry whose session is gone is
 * skipped and removed when a list reads it, each list also checks the oldest few entries of the
 * indexes it reads, and each session start those of its tenant's and its shard's (see trim), so
 * an index does not grow with sessions long expired.
 */
@Injectable()
export class SessionIndex {
  constructor(
    private readonly redis: RedisConnections,
    private readonly shards: ShardRouter,
  ) {}

  private indexOf(tag: ShardTag, scope: ListScope): string {
    return scope === 'all' ? keys.sessionIndex(tag) : keys.tenantSessionIndex(tag, scope.tenant);
  }

  async list(scope: ListScope, query: SessionListQuery): Promise<SessionPage> {
    const since = query.since === undefined ? 0 : Date.parse(query.since);
    const wanted = new Set(query.status ?? []);
    const found: SessionSummary[] = [];
    let position = query.cursor;
    let scanned = 0;
    await Promise.all(this.shards.tags.map((tag) => this.sweep(tag, scope)));
    for (;;) {
      // Without a status filter, every live entry is listed: limit + 1 of them tell whether more follow.
      const size = wanted.size === 0 ? Math.min(BATCH, query.limit + 1) : BATCH;
      const { entries, exhausted } = await this.nextEntries(scope, position, since, size);
      const summaries = await Promise.all(entries.map((entry) => this.summary(scope, entry)));
      for (const [i, entry] of entries.entries()) {
        const summary = summaries[i];
        scanned++;
        position = entry;
        if (summary && (wanted.size === 0 || wanted.has(summary.status))) found.push(summary);
        if (found.length === query.limit) {
          // More may follow; a next page that turns out empty says so with a null cursor.
          const more = !exhausted || i < entries.length - 1;
          return { sessions: found, nextCursor: more ? encodeListCursor(entry) : null };
        }
      }
      if (exhausted) return { sessions: found, nextCursor: null };
      if (scanned >= SCAN_BUDGET) return { sessions: found, nextCursor: position ? encodeListCursor(position) : null };
    }
  }

  /**
   * The next entries after `position`, newest first, merged over the shards: only as far as every
   * shard's batch reaches, so that no entry of a shard whose batch was full is skipped.
   * `exhausted`: no entry remains after these.
   */
  private async nextEntries(
    scope: ListScope,
    position: ListPosition | undefined,
    since: number,
    size: number,
  ): Promise<{ entries: ListPosition[]; exhausted: boolean }> {
    const batches = await Promise.all(this.shards.tags.map((tag) => this.readAfter(this.indexOf(tag, scope), position, since, size)));
    const full = batches.filter((batch) => batch.length === size);
    // The oldest entry every full batch still covers: past it, a full shard may hold unread ones.
    const reach = full.map((batch) => batch[batch.length - 1]).reduce<ListPosition | undefined>((a, b) => (a === undefined || before(b, a) ? b : a), undefined);
    const entries = batches
      .flat()
      .filter((entry) => reach === undefined || !before(reach, entry))
      .sort((a, b) => (before(a, b) ? -1 : 1));
    return { entries, exhausted: full.length === 0 };
  }

  /** Up to `size` entries of one index after `position` and not older than `since`, newest first. */
  private async readAfter(index: string, position: ListPosition | undefined, since: number, size: number): Promise<ListPosition[]> {
    const client = this.redis.client;
    const entries: ListPosition[] = [];
    if (position !== undefined) {
      // Sessions created in the same millisecond as the cursor's: those with a smaller id follow it.
      const ties = await client.zrangebyscore(index, position.at, position.at);
      entries.push(
        ...ties
          .filter((id) => id < position.id)
          .sort((a, b) => (a > b ? -1 : 1))
          .map((id) => ({ at: position.at, id })),
      );
    }
    if (entries.length >= size) return entries.slice(0, size);
    const max = position === undefined ? '+inf' : `(${position.at}`;
    const reply = await client.zrevrangebyscore(index, max, since, 'WITHSCORES', 'LIMIT', 0, size - entries.length);
    for (let i = 0; i < reply.length; i += 2) entries.push({ at: Number(reply[i + 1]), id: reply[i] });
    return entries;
  }

  /** The session of an entry, as listed; `undefined` (and the entry removed) when it has expired. */
  private async summary(scope: ListScope, entry: ListPosition): Promise<SessionSummary | undefined> {
    const tag = this.shards.tagOf(entry.id);
    if (tag === undefined) return undefined;
    const client = this.redis.client;
    const [fields, total] = await Promise.all([
      client.hmget(keys.session(tag, entry.id), 'id', 'tenant', 'status', 'goal', 'createdAt', 'updatedAt', 'finishedAt'),
      client.llen(keys.taskIds(tag, entry.id)),
    ]);
    const [id, tenant, status, goal, createdAt, updatedAt, finishedAt] = fields;
    if (id === null) {
      await Promise.all([client.zrem(this.indexOf(tag, scope), entry.id), client.zrem(keys.sessionIndex(tag), entry.id)]);
      return undefined;
    }
    if (scope !== 'all' && tenant !== scope.tenant) return undefined;
    return {
      sessionId: entry.id,
      status: status as SessionStatus,
      goal: goal ?? null,
      createdAt: createdAt ?? new Date(entry.at).toISOString(),
      updatedAt: updatedAt ?? createdAt ?? new Date(entry.at).toISOString(),
      finishedAt: finishedAt ?? null,
      tasks: { total },
    };
  }

  /**
   * Run after a session of `tenant` started in shard `tag`: removes the oldest entries of the
   * tenant's index and of the shard's whose sessions have expired, a few each time, so that
   * indexes nobody lists still shrink as sessions expire while new ones start.
   */
  async trim(tag: ShardTag, tenant: string): Promise<void> {
    await Promise.all([this.sweep(tag, { tenant }, TRIM), this.sweep(tag, 'all', TRIM)]);
  }

  /**
   * Removes the index's oldest entries whose sessions have expired (see the class), in one script
   * call: a tenant's expired entries leave the shard's index too.
   */
  private async sweep(tag: ShardTag, scope: ListScope, count = SWEEP): Promise<void> {
    await sweepSessionIndex(this.redis.client, {
      keys: { index: this.indexOf(tag, scope), alsoFrom: scope === 'all' ? undefined : keys.sessionIndex(tag) },
      sessionKeyPrefix: keys.session(tag, ''),
      count,
    });
  }
}
