import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ModelLimit } from '../config/usage-environment';
import { modelRateKeys } from '../redis/keys';
import { acquireModelRate, backOffModelRate, ModelRateKeys } from './scripts/model-rate';

/** How the shared limiter counts. */
export interface ModelRateOptions {
  /** The deployment's key prefix (SWITCHYARD_PREFIX). */
  readonly prefix: string;
  /** SWITCHYARD_MODEL_LIMITS: by model name, `*` for every model without its own (each model counted apart). */
  readonly limits: Readonly<Record<string, ModelLimit>>;
  /** The window `rpm` and `tpm` count in. @defaultValue 60000 (a minute) */
  readonly windowMs?: number;
  /** Longest a waiting call sleeps before asking again. @defaultValue 1000 */
  readonly maxPollMs?: number;
}

/**
 * Keeps every worker's calls to a model under its `rpm` and `tpm` together, through Redis (one
 * script, model-rate.lua, under the deployment's global hash tag): a call that does not fit waits
 * (logged once per call) until it does, and never fails unless its signal aborts. A 429's
 * Retry-After ({@link backOff}) holds every worker's calls to the model for that long. It has the
 * shape of the agents' `ModelRateLimiter`.
 */
export class RedisModelRateLimiter {
  private readonly logger = new Logger(RedisModelRateLimiter.name);
  private readonly keys = new Map<string, ModelRateKeys>();
  private readonly windowMs: number;
  private readonly maxPollMs: number;

  constructor(
    private readonly client: Redis,
    private readonly options: ModelRateOptions,
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxPollMs = options.maxPollMs ?? 1000;
  }

  /** Waits until one call of about `tokens` tokens to `model` fits; rejects only when `signal` aborts. */
  async acquire(model: string, tokens: number, signal?: AbortSignal): Promise<void> {
    const limit = this.options.limits[model] ?? this.options.limits['*'];
    const call = { requests: limit?.rpm ?? 0, tokens: limit?.tpm ?? 0, callTokens: tokens, windowMs: this.windowMs, id: randomUUID() };
    const began = Date.now();
    let logged = false;
    for (;;) {
      signal?.throwIfAborted();
      const waitMs = await acquireModelRate(this.client, this.keysOf(model), call);
      if (waitMs <= 0) {
        if (logged) this.logger.log({ model, waitedMs: Date.now() - began }, 'model call goes after waiting for the shared rate limit');
        return;
      }
      if (!logged) {
        this.logger.log({ model, tokens, waitMs, rpm: limit?.rpm, tpm: limit?.tpm }, 'model call waits for the shared rate limit');
        logged = true;
      }
      // Others' calls may leave the window first: ask again, with jitter, so waiting workers do not all ask at once.
      await sleep(Math.min(waitMs, this.maxPollMs) + Math.floor(Math.random() * 20), undefined, { signal });
    }
  }

  /** A 429 asked to wait `retryAfterMs`: no worker's call to `model` starts before then. */
  async backOff(model: string, retryAfterMs: number): Promise<void> {
    this.logger.warn({ model, retryAfterMs }, 'model server asked to slow down: every worker waits');
    await backOffModelRate(this.client, this.keysOf(model), retryAfterMs);
  }

  private keysOf(model: string): ModelRateKeys {
    let keys = this.keys.get(model);
    if (!keys) {
      keys = { calls: modelRateKeys.calls(this.options.prefix, model), backOff: modelRateKeys.backOff(this.options.prefix, model) };
      this.keys.set(model, keys);
    }
    return keys;
  }
}
