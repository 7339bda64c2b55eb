import type { ModelRateLimiter } from './model-rate-limiter';

/** The rate limiter when SWITCHYARD_MODEL_LIMITS is unset: every call goes at once. */
export const UNLIMITED: ModelRateLimiter = {
  acquire: async (_model, _tokens, signal) => signal?.throwIfAborted(),
  backOff: async () => undefined,
};
