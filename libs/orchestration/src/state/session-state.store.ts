import { Injectable } from '@nestjs/common';
import { SharedStateHandle } from '../agents/agent-contract';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';

/** The shared scope of a session's state: JSON values by key, in the session's shard. */
@Injectable()
export class SessionStateStore {
  constructor(private readonly redis: RedisConnections) {}

  /** A handle on one session's shared scope, as an agent's run receives it. */
  shared(tag: ShardTag, sessionId: string): SharedStateHandle {
    const key = keys.sharedState(tag, sessionId);
    const client = this.redis.client;
    return {
      async get<T>(name: string): Promise<T | undefined> {
        const raw = await client.hget(key, name);
        return raw === null ? undefined : (JSON.parse(raw) as T);
      },
      async set(name: string, value: unknown): Promise<void> {
        await client.hset(key, name, JSON.stringify(value ?? null));
      },
    };
  }
}
