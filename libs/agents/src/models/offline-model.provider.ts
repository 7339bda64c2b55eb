import { createHash } from 'node:crypto';
import { ChatAnswer, ChatMessage, ChatRequest, Completion, CompletionRequest, completeByChat, estimateTokens, ModelProvider } from './model-provider';
import { sampleOf } from './schema-sample';

export const OFFLINE_MODEL = 'switchyard-offline-1';

/** How many characters each streamed piece of an offline answer has. */
const DELTA_CHARS = 64;

/**
 * What the offline model "says" about a prompt: each of its lines, whitespace collapsed and cut
 * to 160 characters, at most 2000 in all. So an answer shows the start of everything it was
 * given (every dependency's line) while a long chain's answers stay bounded.
 */
function gist(prompt: string): string {
  const lines = prompt
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .map((l) => (l.length > 160 ? `${l.slice(0, 157)}...` : l));
  const text = lines.join(' ');
  return text.length > 2000 ? `${text.slice(0, 1997)}...` : text;
}

function transcript(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${m.role}: ${m.content}`).join('\n');
}

/**
 * A deterministic model that needs no network: the same request always gets the same answer,
 * derived from the last user message (so an answer shows what it was based on), streamed in
 * pieces of 64 characters. Asked for structured output, it answers a deterministic instance of
 * the schema (its text fields hold that answer); it never asks for a tool. Usage is estimated
 * from the characters (see estimateTokens). Each call takes the configured latency, so offline
 * runs behave like real model calls; an aborted signal ends it.
 */
export class OfflineModelProvider implements ModelProvider {
  constructor(private readonly latencyMs = 0) {}

  async chat(request: ChatRequest): Promise<ChatAnswer> {
    await this.wait(request.signal);
    const all = transcript(request.messages);
    const digest = createHash('sha256').update(all).digest('hex').slice(0, 12);
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const plain = `[${OFFLINE_MODEL} ${digest}] ${gist(lastUser)}`;
    const text = request.responseFormat ? JSON.stringify(sampleOf(request.responseFormat.schema, plain)) : plain;
    for (let i = 0; i < text.length; i += DELTA_CHARS) request.onDelta?.(text.slice(i, i + DELTA_CHARS));
    const promptTokens = estimateTokens(all);
    const completionTokens = estimateTokens(text);
    return { text, toolCalls: [], model: OFFLINE_MODEL, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } };
  }

  complete(request: CompletionRequest): Promise<Completion> {
    return completeByChat(this, request);
  }

  private wait(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.latencyMs <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, this.latencyMs);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
