import { ConnectionError, errorFromAnswer } from './errors';

/** How the client reaches the API. */
export interface ClientOptions {
  /** The API's origin. @defaultValue `http://127.0.0.1:3000` */
  baseUrl?: string;
  /** An API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Each request's bound, in ms (not the event stream's, which runs as long as its session). @defaultValue 30000 */
  timeoutMs?: number;
  /** The fetch to use. @defaultValue the global `fetch` */
  fetch?: typeof fetch;
}

/** One request: its query (undefined values and empty lists left out, lists comma-joined), body and headers. */
export interface RequestSpec {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Read the answer as text rather than JSON (metrics, log exports). */
  text?: boolean;
  /** This request's own time limit (a long poll's), instead of the client's. */
  timeoutMs?: number;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';

/** Sends requests to the API on fetch and turns every non-2xx answer into a typed error. */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  url(path: string, query: RequestSpec['query'] = {}): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      // An empty list filters nothing, as a filter not given: `status=` would be refused (400).
      if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
      search.set(name, Array.isArray(value) ? value.join(',') : String(value));
    }
    const encoded = search.toString();
    return `${this.baseUrl}${path}${encoded ? `?${encoded}` : ''}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}), ...extra };
  }

  /** Sends one request; answers the parsed JSON body (or text), or throws ApiError / ConnectionError. */
  async request<T>(method: string, path: string, spec: RequestSpec = {}): Promise<T> {
    const url = this.url(path, spec.query);
    const hasBody = spec.body !== undefined;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        method,
        headers: this.headers({ accept: spec.text ? '*/*' : 'application/json', ...(hasBody ? { 'content-type': 'application/json' } : {}), ...spec.headers }),
        body: hasBody ? JSON.stringify(spec.body) : undefined,
        signal: AbortSignal.timeout(spec.timeoutMs ?? this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new ConnectionError(url, error);
    }
    if (!response.ok) throw errorFromAnswer(response.status, response.statusText, parseJson(text) ?? text, response.headers.get('retry-after'));
    if (spec.text) return text as T;
    return (text ? parseJson(text) : undefined) as T;
  }

  /** Opens a streaming GET (the event stream); a non-2xx answer throws as `request` does. */
  async stream(path: string, spec: RequestSpec, signal?: AbortSignal): Promise<Response> {
    const url = this.url(path, spec.query);
    let response: Response;
    try {
      response = await this.fetch(url, { headers: this.headers({ accept: 'text/event-stream', ...spec.headers }), signal });
    } catch (error) {
      throw new ConnectionError(url, error);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw errorFromAnswer(response.status, response.statusText, parseJson(text) ?? text, response.headers.get('retry-after'));
    }
    return response;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
