/** Keeps every worker's calls to a model under the rpm/tpm of SWITCHYARD_MODEL_LIMITS, together. */
export interface ModelRateLimiter {
  /** Waits (never fails, unless `signal` aborts) until one call of about `tokens` tokens to `model` fits. */
  acquire(model: string, tokens: number, signal?: AbortSignal): Promise<void>;
  /** A 429 asked to wait `retryAfterMs`: slows every worker's calls to `model` down. */
  backOff(model: string, retryAfterMs: number): Promise<void>;
}

/** Injection token of the worker's {@link ModelRateLimiter}. */
export const MODEL_RATE_LIMITER = Symbol('MODEL_RATE_LIMITER');
