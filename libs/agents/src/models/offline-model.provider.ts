import { createHash } from 'node:crypto';
import { Completion, CompletionRequest, ModelProvider } from './model-provider';

export const OFFLINE_MODEL = 'switchyard-offline-1';

/** How many whitespace-separated words `text` has. */
const words = (text = '') => text.split(/\s+/).filter(Boolean).length;

/**
 * A deterministic model that needs no network: the same request always gets the same answer,
 * derived from the prompt (so an answer shows what it was based on). Each call takes the
 * configured latency, so offline runs behave like real model calls; an aborted signal ends it.
 */
export class OfflineModelProvider implements ModelProvider {
  constructor(private readonly latencyMs = 0) {}

  async complete(request: CompletionRequest): Promise<Completion> {
    await this.wait(request.signal);
    const digest = createHash('sha256')
      .update(`${request.system ?? ''}\n${request.prompt}`)
      .digest('hex')
      .slice(0, 12);
    const subject = request.prompt.replace(/\s+/g, ' ').trim();
    const excerpt = subject.length > 1000 ? `${subject.slice(0, 997)}...` : subject;
    const text = `[${OFFLINE_MODEL} ${digest}] ${excerpt}`;
    // Deterministic usage: the offline model's tokens are whitespace-separated words.
    const promptTokens = words(request.system) + words(request.prompt);
    const completionTokens = words(text);
    return { model: OFFLINE_MODEL, text, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } };
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
