import { authHeader } from './api-keys';
export interface SseEvent {
  id: string;
  event: string;
  data: any;
}

/**
 * Reads a Server-Sent Events stream until it ends, or until `stopAfter` events (then it
 * disconnects, as a client that lost its connection would). Bounded by `timeoutMs`. It presents
 * the admin's key unless `headers` present another or `withoutKey` is set (as a browser's
 * `EventSource` would: no header at all).
 */
export async function readEvents(
  url: string,
  options: { lastEventId?: string; stopAfter?: number; timeoutMs?: number; headers?: Record<string, string>; withoutKey?: boolean } = {},
): Promise<{ status: number; events: SseEvent[] }> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`the event stream did not end within ${options.timeoutMs ?? 30_000} ms`)),
    options.timeoutMs ?? 30_000,
  );
  const events: SseEvent[] = [];
  try {
    const response = await fetch(url, {
      headers: {
        accept: 'text/event-stream',
        ...(options.withoutKey ? {} : authHeader()),
        ...options.headers,
        ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
      },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) return { status: response.status, events };
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => l && !l.startsWith(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
        );
        if (!fields.data) continue;
        events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
        if (options.stopAfter && events.length >= options.stopAfter) {
          await reader.cancel();
          return { status: response.status, events };
        }
      }
    }
    return { status: response.status, events };
  } finally {
    clearTimeout(timer);
  }
}
