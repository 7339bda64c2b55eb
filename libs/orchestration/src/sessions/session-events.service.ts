import { Injectable } from '@nestjs/common';
import { SessionNotFoundError, ValidationFailedError } from '../errors/errors';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardRouter } from '../redis/shards';
import { FINISHED_SESSION_STATUSES, SessionStatus } from './session.types';

/** One entry of a session's event stream; `id` orders them and resumes a stream after it. */
export interface SessionEvent {
  readonly id: string;
  /** `task` on every task state change, `session` when the session's status changes. */
  readonly type: 'task' | 'session';
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
  /** How often to send a keep-alive while there are none. @defaultValue 15000 */
  readonly keepAliveMs?: number;
}

const EVENT_ID = /^\d{1,20}-\d{1,20}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a session's event stream, from its start or after a given event. */
@Injectable()
export class SessionEvents {
  constructor(
    private readonly shards: ShardRouter,
    private readonly redis: RedisConnections,
  ) {}

  /** Checks the session exists and the resume id is well formed; answers the session's shard. */
  async open(sessionId: string, lastEventId?: string): Promise<ShardTag> {
    if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) {
      throw new ValidationFailedError([{ path: 'Last-Event-ID', message: 'must be the id of an event of this stream, like 1795610093336-0' }]);
    }
    const tag = this.shards.tagOf(sessionId);
    if (!tag || !(await this.redis.client.exists(keys.session(tag, sessionId)))) throw new SessionNotFoundError(sessionId);
    return tag;
  }

  /** Up to `count` events after `afterId` (exclusive), or from the start. */
  async read(tag: ShardTag, sessionId: string, afterId?: string, count = 500): Promise<SessionEvent[]> {
    const entries = await this.redis.client.xrange(keys.events(tag, sessionId), afterId ? `(${afterId}` : '-', '+', 'COUNT', count);
    return entries.map(([id, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
      return { id, type: map.get('type') as SessionEvent['type'], data: JSON.parse(map.get('data') ?? '{}') };
    });
  }

  /**
   * Sends the session's events to the sink: the ones after `lastEventId` (all of them without
   * it), then new ones as they happen, until the event of the session's final status (or the
   * sink closes, or the session expires).
   */
  async stream(tag: ShardTag, sessionId: string, lastEventId: string | undefined, sink: EventSink, options: StreamOptions = {}): Promise<void> {
    const pollMs = options.pollMs ?? 100;
    const keepAliveMs = options.keepAliveMs ?? 15_000;
    let cursor = lastEventId;
    let quietSince = Date.now();
    while (!sink.closed) {
      const events = await this.read(tag, sessionId, cursor);
      for (const event of events) {
        if (sink.closed) return;
        sink.send(event);
        cursor = event.id;
        if (event.type === 'session' && FINISHED_SESSION_STATUSES.includes(event.data.status as SessionStatus)) return;
      }
      if (events.length > 0) {
        quietSince = Date.now();
        continue;
      }
      // Nothing new: the session may have finished before `lastEventId`, or expired.
      const status = (await this.redis.client.hget(keys.session(tag, sessionId), 'status')) as SessionStatus | null;
      if (status === null || FINISHED_SESSION_STATUSES.includes(status)) return;
      if (Date.now() - quietSince >= keepAliveMs) {
        sink.keepAlive();
        quietSince = Date.now();
      }
      await sleep(pollMs);
    }
  }
}
