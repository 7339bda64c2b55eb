import { loggableUrl } from '@switchyard/orchestration';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { z } from 'zod';
import { Completion, CompletionRequest, ModelProvider } from './model-provider';
import { ModelRequestError, ModelResponseError, ModelTimeoutError } from './model-errors';

export interface OpenAiCompatibleOptions {
  /** Base URL up to and including `/v1`, e.g. `http://127.0.0.1:11434/v1` for Ollama. */
  readonly baseUrl: string;
  /** Sent as a bearer token; without one, no Authorization header is sent. */
  readonly apiKey?: string;
  readonly model: string;
  /** How long one request may take, body included. */
  readonly timeoutMs: number;
  /** Retries after a 429, a 5xx or a lost connection. */
  readonly maxRetries: number;
  /**
   * Longest wait before a retry; a longer Retry-After is cut to this.
   * @defaultValue 30000
   */
  readonly maxRetryDelayMs?: number;
}

/** The part of a chat completion this provider reads. */
const chatCompletion = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({ message: z.object({ content: z.string({ error: 'choices[0].message.content is not text' }) }, { error: 'choices[0].message is missing' }) }),
      {
        error: 'it has no choices array',
      },
    )
    .min(1, 'its choices array is empty'),
});

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

/**
 * A model behind any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, Ollama,
 * llama.cpp's server): `POST <baseUrl>/chat/completions` with `stream: false`. A 429, a 5xx or
 * a lost connection is retried up to `maxRetries` times, after the server's Retry-After (capped)
 * or an exponential backoff; the request's signal cancels the call and any wait.
 */
export class OpenAiCompatibleModelProvider implements ModelProvider {
  private readonly client: OpenAI;
  /** The endpoint as errors name it: origin and path (see loggableUrl). */
  private readonly endpoint: string;

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
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const messages = [...(request.system ? [{ role: 'system' as const, content: request.system }] : []), { role: 'user' as const, content: request.prompt }];
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
      let answer: unknown;
      try {
        answer = await this.client.chat.completions.create(
          { model: this.options.model, messages, stream: false, ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}) },
          { signal },
        );
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        const failure = this.failure(error, timeout.aborted);
        if (!failure.retryable || attempt >= this.options.maxRetries) throw failure;
        await sleep(this.retryDelay(error, attempt), request.signal);
        continue;
      }
      return this.read(answer);
    }
  }

  private read(answer: unknown): Completion {
    if (typeof answer !== 'object' || answer === null) {
      throw new ModelResponseError(
        this.endpoint,
        `expected a JSON object, got ${typeof answer === 'string' ? `text: ${JSON.stringify(answer.slice(0, 100))}` : String(answer)}`,
      );
    }
    const parsed = chatCompletion.safeParse(answer);
    if (!parsed.success) throw new ModelResponseError(this.endpoint, parsed.error.issues[0].message);
    return { text: parsed.data.choices[0].message.content, model: parsed.data.model ?? this.options.model };
  }

  /** The typed error for a failed request. */
  private failure(error: unknown, timedOut: boolean): ModelRequestError | ModelResponseError | ModelTimeoutError {
    if (timedOut || error instanceof APIConnectionTimeoutError) return new ModelTimeoutError(this.endpoint, this.options.timeoutMs);
    if (error instanceof APIConnectionError)
      return new ModelRequestError(this.endpoint, undefined, error.cause instanceof Error ? error.cause.message : error.message);
    if (error instanceof APIError) return new ModelRequestError(this.endpoint, error.status, error.message);
    // The SDK read a body that said it was JSON and was not. (By name: the SyntaxError may come
    // from another realm than this module's global.)
    if ((error as Error | undefined)?.name === 'SyntaxError')
      return new ModelResponseError(this.endpoint, `the body is not valid JSON (${(error as Error).message})`);
    throw error;
  }

  private retryDelay(error: unknown, attempt: number): number {
    const cap = this.options.maxRetryDelayMs ?? 30_000;
    const asked = error instanceof APIError ? retryAfterMs(error.headers) : undefined;
    return Math.min(asked ?? 500 * 2 ** attempt, cap);
  }
}
