import { Inject, Injectable, Logger } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { accessKeys } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { rateLimitHit, RateLimitHitReply } from './scripts/rate-limit-hit';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * How long a request waits for Redis to count it (or SWITCHYARD_REDIS_WAIT_MS, if shorter);
 * then it goes on uncounted.
 */
export const RATE_LIMIT_WAIT_MS = 250;

/** While requests go uncounted, one warning per this at most. */
const UNCOUNTED_WARNING_EVERY_MS = 60_000;

/** Rejects when `work` has not settled within `ms`. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not count the request within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * Rate-limit counters of @nestjs/throttler kept in Redis, so a client's limit holds across every
 * replica of the API instead of per process.
 *
 * The limits fail open: a request that Redis does not count within {@link RATE_LIMIT_WAIT_MS}
 * (Redis down, slow, or out of memory: counting is a write) goes on uncounted, and a warning says
 * so once a minute at most. Failing closed would turn a Redis outage into an outage of the whole
 * API, reads that need no Redis (templates) or no write (a session, its logs) included; a
 * request that does need Redis then answers its own 503.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly waitMs: number;
  private readonly prefix: string;
  /** Requests let through uncounted since the last warning. */
  private uncounted = 0;
  private lastWarning = -Infinity;

  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) config: SwitchyardConfig,
  ) {
    this.waitMs = Math.min(RATE_LIMIT_WAIT_MS, config.redisWaitMs);
    this.prefix = config.prefix;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const counter = accessKeys.rateLimit(this.prefix, `${throttlerName}:${key}`);
    const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
    // One fixed window per client; past the limit, blocked for blockDuration (see rate-limit-hit.lua).
    let reply: RateLimitHitReply;
    try {
      reply = await within(this.waitMs, rateLimitHit(this.redis.client, { counter, windowMs: ttl, limit, blockMs: blockDuration }));
    } catch (error) {
      this.letThroughUncounted(error);
      return { totalHits: 0, timeToExpire: seconds(ttl), isBlocked: false, timeToBlockExpire: 0 };
    }
    const { hits, windowLeftMs, blockLeftMs } = reply;
    return { totalHits: hits, timeToExpire: seconds(windowLeftMs), isBlocked: blockLeftMs > 0, timeToBlockExpire: seconds(blockLeftMs) };
  }

  private letThroughUncounted(error: unknown): void {
    this.uncounted++;
    if (Date.now() - this.lastWarning < UNCOUNTED_WARNING_EVERY_MS) return;
    this.lastWarning = Date.now();
    this.logger.warn(
      { uncounted: this.uncounted, error: error instanceof Error ? error.message : String(error) },
      'rate limits not enforced: Redis did not count requests, which went on uncounted',
    );
    this.uncounted = 0;
  }
}
