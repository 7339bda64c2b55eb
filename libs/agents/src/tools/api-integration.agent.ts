import { Inject } from '@nestjs/common';
import { loggableUrl, SWITCHYARD_CONFIG, SwitchyardConfig, TaskContext, TaskRun } from '@switchyard/orchestration';
import { z } from 'zod';
import { Agent } from '../sdk/agent.decorator';
import { failIfAsked } from '../builtin/model-agent';
import { HostNotAllowedError, HttpTimeoutError, parseToolInput, ResponseTooLargeError } from './tool-errors';
import { HostAllowList } from './host-allow-list';
import { traceToolCall } from '../tracing/traced-tool';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Redirects followed, each checked against the allow-list like the first URL. */
const MAX_REDIRECTS = 5;
/** Response headers passed on in the output; others are dropped. */
const KEPT_HEADERS = ['content-type', 'content-length', 'etag', 'last-modified', 'location', 'retry-after', 'cache-control'];

export const httpCallInput = z
  .object({
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(METHODS, { error: `method must be one of ${METHODS.join(', ')}` }))
      .default('GET'),
    url: z.url({ protocol: /^https?$/, error: 'url must be an absolute http:// or https:// URL' }),
    headers: z.record(z.string(), z.string({ error: 'header values must be strings' })).default({}),
    /** A string is sent as it is; anything else as JSON. */
    body: z.json().optional(),
    /** At most SWITCHYARD_HTTP_TIMEOUT_MS. */
    timeoutMs: z.number().int().min(1, 'timeoutMs must be at least 1').optional(),
  })
  .refine((i) => i.body === undefined || (i.method !== 'GET' && i.method !== 'HEAD'), { path: ['body'], message: 'a GET or HEAD request has no body' });
export type HttpCallInput = z.infer<typeof httpCallInput>;

export interface HttpCallOutput {
  readonly status: number;
  readonly ok: boolean;
  /** The URL that answered (after redirects). */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly bodyType: 'json' | 'text' | 'empty';
  readonly body: unknown;
}

/**
 * A tool agent (no model): one HTTP call to a host on SWITCHYARD_HTTP_ALLOWED_HOSTS. Any other
 * host (also as a redirect's target) is refused before a connection is made. The call ends at
 * its timeout or when the task's signal fires; a response body over
 * SWITCHYARD_HTTP_MAX_RESPONSE_BYTES fails the call rather than being cut.
 */
@Agent({ type: 'http', name: 'http', capabilities: ['api_integration'], concurrency: 8 })
export class ApiIntegrationAgent {
  private readonly allowList: HostAllowList;

  constructor(@Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig) {
    this.allowList = new HostAllowList(config.tools.httpAllowedHosts);
  }

  async run(task: TaskRun, context: TaskContext): Promise<HttpCallOutput> {
    failIfAsked(task);
    const input = parseToolInput(httpCallInput, task.input, 'api_integration');
    const output = await traceToolCall('api_integration', () => this.call(input, context.signal), { 'http.request.method': input.method });
    context.log.info('http call done', { method: input.method, url: loggableUrl(output.url), status: output.status });
    return output;
  }

  async call(input: HttpCallInput, signal: AbortSignal): Promise<HttpCallOutput> {
    const timeoutMs = Math.min(input.timeoutMs ?? Infinity, this.config.tools.httpTimeoutMs);
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    const headers = { ...input.headers };
    let body: string | undefined;
    if (input.body !== undefined) {
      body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
      const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
      if (!hasType) headers['content-type'] = typeof input.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
    }
    let url = new URL(input.url);
    let method: string = input.method;
    try {
      for (let hop = 0; ; hop++) {
        if (!this.allowList.allows(url)) throw new HostNotAllowedError(url, url.host);
        const response = await fetch(url, { method, headers, body, redirect: 'manual', signal: both });
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location && hop < MAX_REDIRECTS) {
          await response.body?.cancel();
          url = new URL(location, url);
          // As browsers do: 303, and 301/302 after a POST, go on as a GET without a body.
          if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        return await this.readResponse(url, response);
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (timeout.aborted) throw new HttpTimeoutError(url, timeoutMs);
      throw error;
    }
  }

  private async readResponse(url: URL, response: Response): Promise<HttpCallOutput> {
    const limit = this.config.tools.httpMaxResponseBytes;
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > limit) {
      await response.body?.cancel();
      throw new ResponseTooLargeError(url, limit);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
          await reader.cancel();
          throw new ResponseTooLargeError(url, limit);
        }
        chunks.push(value);
      }
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const base = { status: response.status, ok: response.ok, url: url.href, headers };
    if (text.length === 0) return { ...base, bodyType: 'empty', body: null };
    if (/[/+]json\b/i.test(headers['content-type'] ?? '')) {
      try {
        return { ...base, bodyType: 'json', body: JSON.parse(text) };
      } catch {
        // Said JSON, is not: hand it over as the text it is.
      }
    }
    return { ...base, bodyType: 'text', body: text };
  }
}
