import { ClientError, ConnectionError, TooManyRequestsError } from './errors';
import { HttpTransport } from './http-transport';
import { SseParser } from './sse-parser';
import { FINAL_SESSION_STATUSES, LogLevel, Session, SessionEvent } from './types';

/** How a session's event stream is read. */
export interface EventStreamOptions {
  /** Start after this event id (the first event is the one after it). Without it the stream replays the session from its start. */
  lastEventId?: string;
  /** Also stream the session's log entries at this level or above (`event: log`). */
  logLevel?: LogLevel;
  /** `false` leaves the tasks' streamed `delta` events out (`?deltas=off`). @defaultValue true */
  deltas?: boolean;
  /** Stops the stream: the iterator then ends without an error. */
  signal?: AbortSignal;
  /** Reconnections in a row without a new event before the iterator gives up with the last error. @defaultValue 10 */
  maxReconnects?: number;
  /** The first wait before a reconnection, doubled each time up to 5 s (or what `Retry-After` asks). @defaultValue 250 */
  reconnectDelayMs?: number;
}

const isFinal = (event: SessionEvent) => event.event === 'session' && FINAL_SESSION_STATUSES.includes(event.data.status);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Whether a failure to open the stream may pass: no answer, a 5xx or a 429. Other 4xx will not. */
const retryable = (error: unknown) => error instanceof ConnectionError || error instanceof TooManyRequestsError || !(error instanceof ClientError);

/**
 * A session's events as an async iterator. It follows the stream to the session's final
 * `session` event, and across dropped connections (an API restart, a proxy's timeout) it
 * reconnects with `Last-Event-ID` set to the last event it yielded, so the caller sees every
 * event once, in order, with no gap and no repeat.
 */
export async function* sessionEvents(transport: HttpTransport, sessionId: string, options: EventStreamOptions = {}): AsyncGenerator<SessionEvent> {
  const path = `/api/orchestrator/sessions/${encodeURIComponent(sessionId)}/events`;
  const { signal, maxReconnects = 10, reconnectDelayMs = 250 } = options;
  let lastEventId = options.lastEventId;
  let failures = 0;
  let lastError: unknown;
  while (!signal?.aborted) {
    let waitMs = Math.min(reconnectDelayMs * 2 ** failures, 5_000);
    try {
      const response = await transport.stream(
        path,
        {
          query: { logLevel: options.logLevel, deltas: options.deltas === false ? 'off' : undefined },
          headers: lastEventId ? { 'last-event-id': lastEventId } : {},
        },
        signal,
      );
      const reader = response.body!.getReader();
      const parser = new SseParser();
      const decoder = new TextDecoder();
      let received = 0;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const raw of parser.push(decoder.decode(value, { stream: true }))) {
            const event = { id: raw.id ?? '', event: raw.event, data: JSON.parse(raw.data) } as SessionEvent;
            if (raw.id) lastEventId = raw.id;
            failures = 0;
            received += 1;
            yield event;
            if (isFinal(event)) return;
          }
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
      // The stream ended without the session's final event: the connection was cut, or the
      // final event lies before the one resumed after. Only a connection that brought nothing
      // to a finished session says the latter; any other goes round once more.
      const session = await transport.request<Session>('GET', `/api/orchestrator/sessions/${encodeURIComponent(sessionId)}`);
      if (received === 0 && FINAL_SESSION_STATUSES.includes(session.status)) return;
      lastError = new ConnectionError(transport.url(path), new Error('the event stream ended before the session did'));
    } catch (error) {
      if (signal?.aborted) return;
      if (!retryable(error)) throw error;
      lastError = error;
      if (error instanceof TooManyRequestsError && error.retryAfterS !== undefined) waitMs = error.retryAfterS * 1000;
    }
    failures += 1;
    if (failures > maxReconnects) throw lastError;
    await sleep(waitMs, signal);
  }
}
