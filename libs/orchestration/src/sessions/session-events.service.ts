import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { SessionNotFoundError, ValidationFailedError } from '../errors/errors';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { repliesOrThrow, transaction } from '../adapters/ioredis';
import { ShardRouter } from '../redis/shards';
import { FINISHED_SESSION_STATUSES, SessionStatus } from './session.types';
import { compareStreamIds, decodeLogEntry, isStreamId, LogEntry, levelRank, SessionLogLevel } from '../log/log-entry';

/** One entry of a session's event stream; `id` orders them and resumes a stream after it. */
export interface SessionEvent {
  readonly id: string;
  /**
   * `task` on every task state change, `session` when the session's status changes, `delta` for a
   * piece of a task's streamed output (`{ taskId, attempt, seq, text }`), `log` for an
   * orchestration log entry (only on streams that asked for them).
   */
  readonly type: 'task' | 'session' | 'delta' | 'log';
  readonly data: Record<string, unknown>;
}

/** Where a live stream of events goes (an SSE response, a test's collector). */
export interface EventSink {
  send(event: SessionEvent): void;
  /** Something to keep the connection open while nothing happens. */
  keepAlive(): void;
  readonly closed: boolean;
}

export interface StreamOptions {
  /** How often to look for new events while there are none. @defaultValue 100 */
  readonly pollMs?: number;
  /**
   * How often to look instead while the stream is lively (an event came within the last
   * second): an agent streaming deltas then reaches its subscribers within about this. @defaultValue 5
   */
  readonly livelyPollMs?: number;
  /** How often to send a keep-alive while there are none. @defaultValue 15000 */
  readonly keepAliveMs?: number;
  /**
   * Also send the session's log entries at this level or above, merged with the events in the
   * order Redis appended them. Event ids are then composite, `<event id>_<log id>` (the position
   * in both streams), so that a reconnect resumes both exactly. @defaultValue no log entries
   */
  readonly logLevel?: SessionLogLevel;
  /** `false` leaves the `delta` events out (their ids are still passed). @defaultValue true */
  readonly deltas?: boolean;
}

const COMPOSITE_ID = /^(\d{1,20}-\d{1,20})_(\d{1,20}-\d{1,20})$/;
/** Entries read from each stream per round. */
const BATCH = 500;

/** The millisecond part of a stream id (`<ms>-<seq>`). */
function msOf(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** Where a stream resumes: after these ids of the event stream and the log stream. */
interface Position {
  events?: string;
  log?: string;
}

/**
 * A Last-Event-ID as positions: `<event id>` (the log, if asked for, resumes from the same point
 * of the shard's clock) or `<event id>_<log id>`.
 */
function positionOf(lastEventId: string | undefined): Position {
  if (lastEventId === undefined) return {};
  const composite = COMPOSITE_ID.exec(lastEventId);
  return composite ? { events: composite[1], log: composite[2] } : { events: lastEventId, log: lastEventId };
}

/** Whether a Last-Event-ID names positions Redis can resume both streams after. */
function isResumePoint(lastEventId: string): boolean {
  const { events, log } = positionOf(lastEventId);
  return events !== undefined && log !== undefined && isStreamId(events) && isStreamId(log);
}

const isFinal = (event: SessionEvent) => event.type === 'session' && FINISHED_SESSION_STATUSES.includes(event.data.status as SessionStatus);

function toEvent(id: string, fields: readonly string[]): SessionEvent {
  const map = new Map<string, string>();
  for (let i = 0; i < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  return { id, type: map.get('type') as SessionEvent['type'], data: JSON.parse(map.get('data') ?? '{}') };
}

/** Reads a session's event stream, from its start or after a given event. */
@Injectable()
export class SessionEvents {
  constructor(
    private readonly shards: ShardRouter,
    private readonly redis: RedisConnections,
  ) {}

  /** Checks the session exists and the resume id is well formed; answers the session's shard. */
  async open(sessionId: string, lastEventId?: string): Promise<ShardTag> {
    if (lastEventId !== undefined && !isResumePoint(lastEventId)) {
      throw new ValidationFailedError([
        {
          path: 'Last-Event-ID',
          message: 'must be the id of an event of this stream, like 1795610093336-0 (or 1795610093336-0_1795610093338-1 with log entries)',
        },
      ]);
    }
    const tag = this.shards.tagOf(sessionId);
    if (!tag || !(await this.redis.client.exists(keys.session(tag, sessionId)))) throw new SessionNotFoundError(sessionId);
    return tag;
  }

  /** Up to `count` events after `afterId` (exclusive), or from the start. */
  async read(tag: ShardTag, sessionId: string, afterId?: string, count = BATCH): Promise<SessionEvent[]> {
    const entries = await this.redis.client.xrange(keys.events(tag, sessionId), afterId ? `(${afterId}` : '-', '+', 'COUNT', count);
    return entries.map(([id, fields]) => toEvent(id, fields));
  }

  /**
   * Sends the session's events to the sink: the ones after `lastEventId` (all of them without
   * it), then new ones as they happen, until the event of the session's final status (or the
   * sink closes, or the session expires). With `logLevel`, log entries at that level or above
   * are merged in (those appended before the final event).
   */
  async stream(tag: ShardTag, sessionId: string, lastEventId: string | undefined, sink: EventSink, options: StreamOptions = {}): Promise<void> {
    const pollMs = options.pollMs ?? 100;
    const livelyPollMs = options.livelyPollMs ?? 5;
    const keepAliveMs = options.keepAliveMs ?? 15_000;
    const position = positionOf(lastEventId);
    const minRank = options.logLevel ? levelRank(options.logLevel) : undefined;
    const withDeltas = options.deltas ?? true;
    let quietSince = Date.now();
    let lastEventAt = 0;
    let sawFinished = false;
    while (!sink.closed) {
      const { events, log, nowMs } = await this.readBoth(tag, sessionId, position, minRank !== undefined);
      let consumed = 0;
      let held = false;
      for (let i = 0, j = 0; !sink.closed; consumed++) {
        const event = events[i];
        const entry = log[j];
        // A stream that filled its batch may hold more before the other's next entry: stop there.
        if (!event && (!entry || events.length === BATCH)) break;
        if (!entry && event && log.length === BATCH) break;
        const eventFirst = event !== undefined && (!entry || compareStreamIds(event.id, entry.id) <= 0);
        // Merging two streams: the other one may still get an entry of the millisecond Redis is
        // in, with an id before this one. Only a past millisecond is complete in both.
        if (nowMs !== undefined && msOf(eventFirst ? event.id : entry!.id) >= nowMs) {
          held = true;
          break;
        }
        if (eventFirst) {
          i++;
          position.events = event.id;
          if (!withDeltas && event.type === 'delta') continue;
          sink.send(minRank === undefined ? event : { ...event, id: `${event.id}_${position.log ?? '0-0'}` });
          if (isFinal(event)) return;
        } else {
          j++;
          position.log = entry.id;
          if (levelRank(entry.level) >= minRank!) {
            sink.send({ id: `${position.events ?? '0-0'}_${entry.id}`, type: 'log', data: { ...entry } });
          }
        }
      }
      if (consumed > 0) quietSince = lastEventAt = Date.now();
      if (held) await sleep(1);
      if (consumed > 0 || held) continue;
      // Nothing new: the session may have finished before `lastEventId`, or expired.
      const status = (await this.redis.client.hget(keys.session(tag, sessionId), 'status')) as SessionStatus | null;
      if (status === null || (FINISHED_SESSION_STATUSES.includes(status) && sawFinished)) return;
      if (FINISHED_SESSION_STATUSES.includes(status)) {
        // Finished, but its final event may have been appended (with the status, in one script)
        // after the read above: read once more before ending.
        sawFinished = true;
        continue;
      }
      if (Date.now() - quietSince >= keepAliveMs) {
        sink.keepAlive();
        quietSince = Date.now();
      }
      await sleep(Date.now() - lastEventAt < 1000 ? livelyPollMs : pollMs);
    }
  }

  /**
   * The next events and (when asked) log entries after the position, read in one atomic step,
   * with Redis's clock then (`nowMs`, in milliseconds) when the log is read too.
   */
  private async readBoth(
    tag: ShardTag,
    sessionId: string,
    position: Position,
    withLog: boolean,
  ): Promise<{ events: SessionEvent[]; log: LogEntry[]; nowMs?: number }> {
    if (!withLog) return { events: await this.read(tag, sessionId, position.events), log: [] };
    const [events, log, time] = repliesOrThrow(
      await transaction(this.redis.client, (client) => [
        client.xrange(keys.events(tag, sessionId), position.events ? `(${position.events}` : '-', '+', 'COUNT', BATCH),
        client.xrange(keys.log(tag, sessionId), position.log ? `(${position.log}` : '-', '+', 'COUNT', BATCH),
        client.time(),
      ]),
    ) as [[string, string[]][], [string, string[]][], [string, string]];
    return {
      events: events.map(([id, fields]) => toEvent(id, fields)),
      log: log.map(([id, fields]) => decodeLogEntry(sessionId, id, fields)),
      nowMs: Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000),
    };
  }
}
