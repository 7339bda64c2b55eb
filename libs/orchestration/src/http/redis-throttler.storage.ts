import { Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { keys } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { RedisScript } from '../redis/redis-script';
import { ShardRouter } from '../redis/shards';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * One fixed window per client: count the hit, start the window on the first one; past the limit,
 * block the client for `blockDuration` (at least the rest of the window). Times in ms.
 */
const HIT = new RedisScript(`
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local window = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], '1', 'PX', math.max(tonumber(ARGV[3]), window))
end
return { hits, window, redis.call('PTTL', KEYS[2]) }
`);

/**
 * Rate-limit counters of @nestjs/throttler kept in Redis, so a client's limit holds across every
 * replica of the API instead of per process.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: RedisConnections,
    private readonly shards: ShardRouter,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const tag = this.shards.tags[0];
    const counter = keys.rateLimit(tag, `${throttlerName}:${key}`);
    const [hits, window, blockedFor] = (await HIT.run(this.redis.client, [counter, `${counter}:blocked`], [ttl, limit, blockDuration])) as number[];
    const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
    return { totalHits: hits, timeToExpire: seconds(window), isBlocked: blockedFor > 0, timeToBlockExpire: seconds(blockedFor) };
  }
}
