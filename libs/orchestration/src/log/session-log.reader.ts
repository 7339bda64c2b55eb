import { Injectable } from '@nestjs/common';
import { SessionNotFoundError } from '../errors/errors';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardRouter } from '../redis/shards';
import { decodeLogEntry, LOG_SOURCES, LogEntry, LogSource, SESSION_LOG_LEVELS, SessionLogLevel } from './log-entry';
import { collectPage, LogFilter, LogOrder, LogPage, LogPageReader, LogQuery, scanEntries } from './log-query';

/** Counts of a session's log (GET .../logs/stats). */
export interface LogStats {
  readonly sessionId: string;
  /** Entries the log holds now. */
  readonly total: number;
  /** Entries ever written; more than `total` when the bound dropped the oldest. */
  readonly written: number;
  readonly dropped: number;
  readonly byLevel: Record<SessionLogLevel, number>;
  readonly bySource: Record<LogSource, number>;
  /** Share of entries at level error or critical (0 for an empty log). */
  readonly errorRate: number;
  readonly firstError: LogEntry | null;
  readonly lastError: LogEntry | null;
  readonly firstAt: string | null;
  readonly lastAt: string | null;
}

/** Reads sessions' orchestration logs for the API: filtered pages, statistics, exports. */
@Injectable()
export class SessionLogReader {
  constructor(
    private readonly shards: ShardRouter,
    private readonly redis: RedisConnections,
  ) {}

  /** The session's shard; {@link SessionNotFoundError} when it does not exist (or expired). */
  async open(sessionId: string): Promise<ShardTag> {
    const tag = this.shards.tagOf(sessionId);
    if (!tag || !(await this.redis.client.exists(keys.session(tag, sessionId)))) throw new SessionNotFoundError(sessionId);
    return tag;
  }

  async query(sessionId: string, query: LogQuery): Promise<LogPage> {
    const tag = await this.open(sessionId);
    return collectPage(this.reader(tag, sessionId), query, query);
  }

  /** Pages of matching entries, oldest or newest first, read from Redis one page at a time. */
  async pages(sessionId: string, filter: LogFilter, order: LogOrder): Promise<AsyncGenerator<LogEntry[]>> {
    const tag = await this.open(sessionId);
    return scanEntries(this.reader(tag, sessionId), filter, order);
  }

  async stats(sessionId: string): Promise<LogStats> {
    const tag = await this.open(sessionId);
    const byLevel = Object.fromEntries(SESSION_LOG_LEVELS.map((l) => [l, 0])) as Record<SessionLogLevel, number>;
    const bySource = Object.fromEntries(LOG_SOURCES.map((s) => [s, 0])) as Record<LogSource, number>;
    let total = 0;
    let firstError: LogEntry | null = null;
    let lastError: LogEntry | null = null;
    let firstAt: string | null = null;
    let lastAt: string | null = null;
    for await (const page of scanEntries(this.reader(tag, sessionId), {}, 'asc')) {
      for (const entry of page) {
        total += 1;
        byLevel[entry.level] = (byLevel[entry.level] ?? 0) + 1;
        bySource[entry.source] = (bySource[entry.source] ?? 0) + 1;
        firstAt ??= entry.time;
        lastAt = entry.time;
        if (entry.level === 'error' || entry.level === 'critical') {
          firstError ??= entry;
          lastError = entry;
        }
      }
    }
    const written = await this.entriesAdded(tag, sessionId, total);
    return {
      sessionId,
      total,
      written,
      dropped: written - total,
      byLevel,
      bySource,
      errorRate: total === 0 ? 0 : (byLevel.error + byLevel.critical) / total,
      firstError,
      lastError,
      firstAt,
      lastAt,
    };
  }

  /** How many entries were ever added to the stream (XINFO STREAM's entries-added, Redis ≥ 7). */
  private async entriesAdded(tag: ShardTag, sessionId: string, fallback: number): Promise<number> {
    try {
      const info = (await this.redis.client.xinfo('STREAM', keys.log(tag, sessionId))) as unknown[];
      const at = info.indexOf('entries-added');
      return at >= 0 ? Math.max(Number(info[at + 1]), fallback) : fallback;
    } catch {
      return fallback; // no entries yet: the stream does not exist
    }
  }

  private reader(tag: ShardTag, sessionId: string): LogPageReader {
    const key = keys.log(tag, sessionId);
    return async (after, order, count) => {
      // Nothing comes before the first id there can be (and Redis refuses it as an exclusive end).
      if (order === 'desc' && after === '0-0') return [];
      const rows =
        order === 'asc'
          ? await this.redis.client.xrange(key, after ? `(${after}` : '-', '+', 'COUNT', count)
          : await this.redis.client.xrevrange(key, after ? `(${after}` : '+', '-', 'COUNT', count);
      return rows.map(([id, fields]) => decodeLogEntry(sessionId, id, fields));
    };
  }
}
