import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A chat completions request the server received, its body parsed. */
export interface ChatCall {
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: {
    model: string;
    messages: { role: string; content?: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    tools?: { type: 'function'; function: { name: string; description?: string; parameters?: unknown } }[];
    response_format?: { type: 'json_schema' | 'json_object' | 'text'; json_schema?: { name: string; schema: unknown } };
    max_tokens?: number;
  };
  /** When it arrived (Date.now()). */
  readonly at: number;
}

/** What the scripted model answers to one call. */
export type Reply =
  | { readonly text: string; readonly model?: string; readonly usage?: Usage; readonly chunkChars?: number; readonly delayMs?: number }
  | { readonly toolCalls: readonly { id?: string; name: string; arguments: unknown }[]; readonly text?: string; readonly usage?: Usage }
  | { readonly status: number; readonly error?: string; readonly retryAfter?: string; readonly headers?: Record<string, string> }
  /** Never answers (until the server stops): a model that hangs. */
  | { readonly hang: true };

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/** Answers a call: a reply, or a promise of one (a test may hold a call until it says so). */
export type ReplyHandler = (call: ChatCall, index: number) => Reply | Promise<Reply>;

const DEFAULT_USAGE: Usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

/**
 * A loopback HTTP server that speaks OpenAI's chat completions API (`POST /v1/chat/completions`)
 * with scripted replies: a queue of replies (`enqueue`, the last one kept when the queue runs
 * dry) or a handler function (`handle`). Text is streamed as SSE chunks when the request has
 * `stream: true` (then a usage chunk when `stream_options.include_usage`), or sent as one JSON
 * completion; tool calls go out as `tool_calls` deltas; a status reply is an error answer (a 429
 * with Retry-After, a 5xx, a 400 refusing `response_format`). Every call is recorded in `calls`.
 */
export class OpenAiServer {
  readonly calls: ChatCall[] = [];
  private queue: Reply[] = [];
  private handler?: ReplyHandler;
  /** Models whose calls are refused with 400 when they carry `response_format: json_schema` (a server without schema mode). */
  rejectJsonSchema = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<OpenAiServer> {
    const ready: { self?: OpenAiServer } = {};
    const server = createServer((req, res) => void ready.self!.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ready.self = new OpenAiServer(server, (server.address() as AddressInfo).port);
    return ready.self;
  }

  /** `http://127.0.0.1:<port>/v1`: what SWITCHYARD_OPENAI_BASE_URL is set to. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Replies to give, in order, to the next calls; the last one repeats once the queue is empty. */
  enqueue(...replies: Reply[]): this {
    this.handler = undefined;
    this.queue.push(...replies);
    return this;
  }

  /** Answers every call with `handler` (instead of the queue). */
  handle(handler: ReplyHandler): this {
    this.handler = handler;
    this.queue = [];
    return this;
  }

  /** Forgets the recorded calls, the queue and the handler. */
  reset(): void {
    this.calls.length = 0;
    this.queue = [];
    this.handler = undefined;
    this.rejectJsonSchema = false;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions'))
      return void json(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
    let body: ChatCall['body'];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return void json(res, 400, { error: { message: 'the body is not JSON' } });
    }
    const call: ChatCall = { url: req.url, headers: req.headers, body, at: Date.now() };
    const index = this.calls.push(call) - 1;
    if (this.rejectJsonSchema && body.response_format?.type === 'json_schema') {
      return void json(res, 400, { error: { message: "response_format 'json_schema' is not supported by this server", type: 'invalid_request_error' } });
    }
    const reply = this.handler ? await this.handler(call, index) : this.queue.length > 1 ? this.queue.shift()! : this.queue[0];
    if (!reply) return void json(res, 500, { error: { message: 'the test scripted no reply for this call' } });
    this.answer(res, call, reply);
  }

  private answer(res: ServerResponse, call: ChatCall, reply: Reply): void {
    if ('hang' in reply) return;
    if ('status' in reply) {
      const headers = { ...(reply.retryAfter === undefined ? {} : { 'retry-after': reply.retryAfter }), ...reply.headers };
      return void json(res, reply.status, { error: { message: reply.error ?? `scripted ${reply.status}` } }, headers);
    }
    const model = ('model' in reply && reply.model) || call.body.model;
    const usage = reply.usage ?? DEFAULT_USAGE;
    const toolCalls =
      'toolCalls' in reply
        ? reply.toolCalls.map((c, i) => ({
            id: c.id ?? `call_${i + 1}`,
            name: c.name,
            arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
          }))
        : [];
    const text = reply.text ?? '';
    if (!call.body.stream) {
      const message = {
        role: 'assistant',
        content: toolCalls.length && !text ? null : text,
        ...(toolCalls.length ? { tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}),
      };
      return void json(res, 200, {
        id: 'chatcmpl-test',
        object: 'chat.completion',
        created: 1,
        model,
        choices: [{ index: 0, finish_reason: toolCalls.length ? 'tool_calls' : 'stop', message }],
        usage,
      });
    }
    const size = ('chunkChars' in reply && reply.chunkChars) || 8;
    const pieces: unknown[] = [{ role: 'assistant', content: '' }];
    for (let i = 0; i < text.length; i += size) pieces.push({ content: text.slice(i, i + size) });
    toolCalls.forEach((c, index) => {
      // Each call in two fragments, as OpenAI streams them: id and name first, then the arguments.
      pieces.push({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
      pieces.push({ tool_calls: [{ index, function: { arguments: c.arguments } }] });
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model, choices, ...extra })}\n\n`;
    const frames = pieces.map((delta) => chunk([{ index: 0, delta, finish_reason: null }]));
    frames.push(chunk([{ index: 0, delta: {}, finish_reason: toolCalls.length ? 'tool_calls' : 'stop' }]));
    if (call.body.stream_options?.include_usage) frames.push(chunk([], { usage }));
    frames.push('data: [DONE]\n\n');
    const delayMs = ('delayMs' in reply && reply.delayMs) || 0;
    if (delayMs <= 0) return void res.end(frames.join(''));
    // Spread over delayMs: a slow model whose text arrives piece by piece.
    let i = 0;
    const next = () => {
      if (i === frames.length) return void res.end();
      res.write(frames[i++]);
      setTimeout(next, delayMs / frames.length);
    };
    next();
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
