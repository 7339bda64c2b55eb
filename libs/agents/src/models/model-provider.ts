import type { ModelUsage } from '@switchyard/orchestration';

export type { ModelUsage } from '@switchyard/orchestration';

/** A tool call the model asked for: `arguments` is the JSON text the model wrote. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** One message of a chat, as OpenAI's chat completions API has them. */
export type ChatMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly content: string };

/** A tool the model may call: its arguments described by a JSON Schema. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
}

/** Structured output: the answer must be JSON matching `schema`. */
export interface ResponseFormat {
  /** A name for the schema (letters, digits, `_`, `-`). */
  readonly name: string;
  readonly schema: Record<string, unknown>;
}

/** One request to a chat model. */
export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolSpec[];
  readonly responseFormat?: ResponseFormat;
  /** The model, or the models in fallback order (the next is tried on a 5xx or a timeout); default: the provider's. */
  readonly model?: string | readonly string[];
  readonly maxTokens?: number;
  /** Called with each piece of the answer's text as it streams in. */
  readonly onDelta?: (text: string) => void;
  /** Called when a call failed and the provider tries again: with the next model of the chain, or the same after `waitMs`. */
  readonly onRetry?: (retry: ModelRetry) => void;
  readonly signal?: AbortSignal;
}

/** A failed model call the provider tries again. */
export interface ModelRetry {
  readonly model: string;
  /** The model tried next (the next of the chain, or the same one). */
  readonly next: string;
  readonly error: string;
  /** How long it waits first (a 429's Retry-After, or a backoff); 0: at once. */
  readonly waitMs: number;
}

/** The model's answer: its text, the tools it asked to call, who answered and the tokens it cost. */
export interface ChatAnswer {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  /** Which model answered. */
  readonly model: string;
  readonly usage: Omit<ModelUsage, 'model'>;
}

/** One single-turn request to a language model (see {@link ModelProvider.complete}). */
export interface CompletionRequest {
  /** Instructions that frame the task. */
  readonly system?: string;
  readonly prompt: string;
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
}

export interface Completion {
  readonly text: string;
  /** Which model answered. */
  readonly model: string;
  /** The tokens the call took, when the provider reports them. */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number; readonly totalTokens: number };
}

/** Any chat model behind one method; the model-backed agents call it at least once per task. */
export interface ModelProvider {
  chat(request: ChatRequest): Promise<ChatAnswer>;
  /** A single turn: `system` and `prompt` in, text out. */
  complete(request: CompletionRequest): Promise<Completion>;
}

/** Injection token of the worker's {@link ModelProvider}. */
export const MODEL_PROVIDER = Symbol('MODEL_PROVIDER');

/** `complete` in terms of `chat`, for providers. */
export async function completeByChat(provider: ModelProvider, request: CompletionRequest): Promise<Completion> {
  const answer = await provider.chat({
    messages: [...(request.system ? [{ role: 'system' as const, content: request.system }] : []), { role: 'user', content: request.prompt }],
    maxTokens: request.maxTokens,
    signal: request.signal,
  });
  return { text: answer.text, model: answer.model };
}

/**
 * Tokens of a text, estimated as a quarter of its characters (OpenAI's rule of thumb for English):
 * what prompt budgets and the rate limiter count before the server has counted.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The estimated tokens of a chat's messages and tools. */
export function estimateRequestTokens(request: Pick<ChatRequest, 'messages' | 'tools' | 'responseFormat' | 'maxTokens'>): number {
  let chars = 0;
  for (const m of request.messages) chars += m.content.length + ('toolCalls' in m && m.toolCalls ? JSON.stringify(m.toolCalls).length : 0) + 4;
  if (request.tools) chars += JSON.stringify(request.tools).length;
  if (request.responseFormat) chars += JSON.stringify(request.responseFormat.schema).length;
  return Math.ceil(chars / 4) + (request.maxTokens ?? 0);
}
