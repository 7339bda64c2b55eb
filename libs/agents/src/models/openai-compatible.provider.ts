import { loggableUrl } from '@switchyard/orchestration';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import {
  ChatAnswer,
  ChatMessage,
  ChatRequest,
  Completion,
  CompletionRequest,
  completeByChat,
  estimateRequestTokens,
  estimateTokens,
  ModelProvider,
  ResponseFormat,
  ToolCall,
} from './model-provider';
import { ModelRequestError, ModelResponseError, ModelTimeoutError } from './model-errors';
import type { ModelRateLimiter } from './model-rate-limiter';
import { UNLIMITED } from './unlimited-rate-limiter';

export interface OpenAiCompatibleOptions {
  /** Base URL up to and including `/v1`, e.g. `http://127.0.0.1:11434/v1` for Ollama. */
  readonly baseUrl: string;
  /** Sent as a bearer token; without one, no Authorization header is sent. */
  readonly apiKey?: string;
  /** The model asked for when a request names none. */
  readonly model: string;
  /** How long one request may take, its whole stream included. */
  readonly timeoutMs: number;
  /** Retries after a 429, a 5xx or a lost connection (once every model of the chain failed). */
  readonly maxRetries: number;
  /**
   * Longest wait before a retry; a longer Retry-After is cut to this.
   * @defaultValue 30000
   */
  readonly maxRetryDelayMs?: number;
  /** Keeps the calls under SWITCHYARD_MODEL_LIMITS, with every other worker's. @defaultValue UNLIMITED */
  readonly limiter?: ModelRateLimiter;
}

/**
 * How structured output is asked for: `json_schema` where the server has it; `json_object` (JSON
 * mode, the schema in a system message) where it refused the schema; `prompt` (the schema in a
 * system message only) where it refused JSON mode too.
 */
type FormatMode = 'json_schema' | 'json_object' | 'prompt';

/** Waits `ms`, or rejects with the signal's reason as soon as it fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Seconds (`Retry-After: 2`), milliseconds (`retry-after-ms`) or an HTTP date, in ms. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function toWire(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    case 'assistant':
      return message.toolCalls?.length
        ? {
            role: 'assistant',
            content: message.content,
            tool_calls: message.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
          }
        : { role: 'assistant', content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
}

const schemaInstruction = (format: ResponseFormat) =>
  `Answer with one JSON value only, no prose around it, that matches this JSON Schema:\n${JSON.stringify(format.schema)}`;

/** A failed call and what to do about it. */
interface Failure {
  readonly error: ModelRequestError | ModelResponseError | ModelTimeoutError;
  /** A 5xx, a timeout or a lost connection: the next model of the chain may answer. */
  readonly fallback: boolean;
  readonly retryAfterMs?: number;
}

/**
 * A model behind any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, Ollama,
 * llama.cpp's server): `POST <baseUrl>/chat/completions` with `stream: true` and
 * `stream_options.include_usage`, its text and tool calls read from the streamed deltas. Before
 * each call it waits for the shared rate limiter; a 429 slows the limiter down and is retried
 * after its Retry-After (capped). A 5xx, a timeout or a lost connection moves to the next model
 * of the request's chain; once every model failed, the chain is tried again up to `maxRetries`
 * times after an exponential backoff. A server that refuses `response_format: json_schema` (a
 * 4xx) is asked in JSON mode from then on, and one that refuses that too by instructions only.
 * The request's signal cancels the call and any wait.
 */
export class OpenAiCompatibleModelProvider implements ModelProvider {
  private readonly client: OpenAI;
  /** The endpoint as errors name it: origin and path (see loggableUrl). */
  private readonly endpoint: string;
  private readonly limiter: ModelRateLimiter;
  /** What this server accepts for structured output, learnt from its refusals. */
  private formatMode: FormatMode = 'json_schema';

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      apiKey: options.apiKey ?? 'none',
      // Retries and the overall timeout are this class's: the SDK's ignore the signal while waiting.
      maxRetries: 0,
      timeout: options.timeoutMs,
      ...(options.apiKey ? {} : { defaultHeaders: { Authorization: null } }),
    });
    this.endpoint = loggableUrl(`${options.baseUrl.replace(/\/+$/, '')}/chat/completions`);
    this.limiter = options.limiter ?? UNLIMITED;
  }

  complete(request: CompletionRequest): Promise<Completion> {
    return completeByChat(this, request);
  }

  async chat(request: ChatRequest): Promise<ChatAnswer> {
    const chain = request.model === undefined ? [this.options.model] : typeof request.model === 'string' ? [request.model] : [...request.model];
    const tokens = estimateRequestTokens(request);
    let index = 0;
    for (let attempt = 0; ;) {
      const model = chain[index];
      const mode = this.formatMode;
      await this.limiter.acquire(model, tokens, request.signal);
      let failure: Failure;
      try {
        return await this.once(model, request, mode);
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        failure = this.failure(error);
      }
      if (request.responseFormat && this.refusedFormat(failure, mode)) continue;
      if (failure.retryAfterMs !== undefined) {
        await this.limiter.backOff(model, failure.retryAfterMs);
      } else if (failure.fallback && index + 1 < chain.length) {
        index++;
        request.onRetry?.({ model, next: chain[index], error: failure.error.message, waitMs: 0 });
        continue;
      }
      if (!failure.error.retryable || attempt >= this.options.maxRetries) throw failure.error;
      const waitMs = Math.min(failure.retryAfterMs ?? 500 * 2 ** attempt, this.options.maxRetryDelayMs ?? 30_000);
      if (failure.retryAfterMs === undefined) index = 0;
      request.onRetry?.({ model, next: chain[index], error: failure.error.message, waitMs });
      await sleep(waitMs, request.signal);
      attempt++;
    }
  }

  /** A 4xx to a request with response_format: the server may not have that mode; steps down once per mode. */
  private refusedFormat(failure: Failure, mode: FormatMode): boolean {
    const status = failure.error instanceof ModelRequestError ? failure.error.status : undefined;
    if (status === undefined || status < 400 || status >= 500 || status === 429 || status === 401 || status === 403) return false;
    if (mode === 'prompt') return false;
    if (this.formatMode === mode) this.formatMode = mode === 'json_schema' ? 'json_object' : 'prompt';
    return true;
  }

  /** One streamed call to one model. */
  private async once(model: string, request: ChatRequest, mode: FormatMode): Promise<ChatAnswer> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const format = request.responseFormat;
    const messages = request.messages.map(toWire);
    if (format && mode !== 'json_schema') messages.unshift({ role: 'system', content: schemaInstruction(format) });
    const body: ChatCompletionCreateParamsStreaming = {
      model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
      ...(request.tools?.length
        ? { tools: request.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } })) }
        : {}),
      ...(format && mode === 'json_schema' ? { response_format: { type: 'json_schema', json_schema: { name: format.name, schema: format.schema } } } : {}),
      ...(format && mode === 'json_object' ? { response_format: { type: 'json_object' } } : {}),
    };
    try {
      const stream = await this.client.chat.completions.create(body, { signal });
      return await this.read(stream, model, request);
    } catch (error) {
      if (timeout.aborted && !request.signal?.aborted) throw new ModelTimeoutError(this.endpoint, this.options.timeoutMs);
      throw error;
    }
  }

  /** Reads the streamed chunks: text deltas (passed to onDelta), tool-call fragments by index, and the usage chunk. */
  private async read(stream: AsyncIterable<ChatCompletionChunk>, asked: string, request: ChatRequest): Promise<ChatAnswer> {
    let text = '';
    let model: string | undefined;
    let usage: ChatCompletionChunk['usage'];
    const calls: { id: string; name: string; arguments: string }[] = [];
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (typeof chunk !== 'object' || chunk === null) throw new ModelResponseError(this.endpoint, 'a streamed chunk is not a JSON object');
      model ??= chunk.model || undefined;
      if (chunk.usage) usage = chunk.usage;
      const delta = chunk.choices?.[0]?.delta;
      if (!delta) continue;
      if (typeof delta.content === 'string' && delta.content.length > 0) {
        text += delta.content;
        request.onDelta?.(delta.content);
      }
      for (const fragment of delta.tool_calls ?? []) {
        const call = (calls[fragment.index ?? 0] ??= { id: '', name: '', arguments: '' });
        if (fragment.id) call.id = fragment.id;
        if (fragment.function?.name) call.name += fragment.function.name;
        if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
      }
    }
    if (chunks === 0) throw new ModelResponseError(this.endpoint, 'the stream ended without a chunk');
    const toolCalls: ToolCall[] = calls.filter(Boolean).map((c, i) => ({ id: c.id || `call_${i}`, name: c.name, arguments: c.arguments || '{}' }));
    if (toolCalls.some((c) => !c.name)) throw new ModelResponseError(this.endpoint, 'a tool call has no function name');
    // A server that sends no usage chunk: estimated, as the rate limiter does.
    const promptTokens = usage?.prompt_tokens ?? estimateRequestTokens({ messages: request.messages, tools: request.tools });
    const completionTokens = usage?.completion_tokens ?? estimateTokens(text + JSON.stringify(toolCalls));
    return {
      text,
      toolCalls,
      model: model ?? asked,
      usage: { promptTokens, completionTokens, totalTokens: usage?.total_tokens ?? promptTokens + completionTokens },
    };
  }

  /** The typed error for a failed call, and whether a fallback model or a wait may help. */
  private failure(error: unknown): Failure {
    if (error instanceof ModelTimeoutError || error instanceof APIConnectionTimeoutError)
      return { error: error instanceof ModelTimeoutError ? error : new ModelTimeoutError(this.endpoint, this.options.timeoutMs), fallback: true };
    if (error instanceof ModelResponseError) return { error, fallback: false };
    if (error instanceof APIConnectionError)
      return { error: new ModelRequestError(this.endpoint, undefined, error.cause instanceof Error ? error.cause.message : error.message), fallback: true };
    if (error instanceof APIError) {
      const status = error.status;
      const wrapped = new ModelRequestError(this.endpoint, status, error.message);
      if (status === 429) return { error: wrapped, fallback: false, retryAfterMs: retryAfterMs(error.headers) ?? 1000 };
      return { error: wrapped, fallback: status === undefined || status >= 500 };
    }
    // The SDK read a body or a chunk that said it was JSON and was not. (By name: the SyntaxError
    // may come from another realm than this module's global.)
    if ((error as Error | undefined)?.name === 'SyntaxError')
      return { error: new ModelResponseError(this.endpoint, `the body is not valid JSON (${(error as Error).message})`), fallback: false };
    throw error;
  }
}
