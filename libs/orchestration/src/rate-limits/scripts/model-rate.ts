import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import source from './model-rate.lua';

const SCRIPT = RedisScript.fromLua(source);

/** The keys of one model's shared limit (see modelRateKeys). */
export interface ModelRateKeys {
  readonly calls: string;
  readonly backOff: string;
}

/** One call asking to start under a model's limit. */
export interface ModelRateAcquire {
  /** Most calls per window, 0 for no limit. */
  readonly requests: number;
  /** Most tokens per window, 0 for no limit. */
  readonly tokens: number;
  /** The call's tokens, about. */
  readonly callTokens: number;
  readonly windowMs: number;
  /** Unique among the calls of the window. */
  readonly id: string;
}

/** Runs model-rate.lua's `acquire`: 0 when the call may start (it is counted), else the ms to wait before asking again. */
export async function acquireModelRate(client: Redis, keys: ModelRateKeys, call: ModelRateAcquire): Promise<number> {
  const args = ['acquire', call.requests, call.tokens, Math.max(0, Math.round(call.callTokens)), call.windowMs, call.id];
  return (await SCRIPT.run(client, [keys.calls, keys.backOff], args)) as number;
}

/** Runs model-rate.lua's `backoff`: no call to the model starts for `ms` from now. */
export async function backOffModelRate(client: Redis, keys: ModelRateKeys, ms: number): Promise<void> {
  await SCRIPT.run(client, [keys.calls, keys.backOff], ['backoff', Math.max(0, Math.round(ms))]);
}
