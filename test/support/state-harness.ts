import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import {
  MetricsRecorder,
  RedisConnections,
  RedisWriteBatcher,
  SessionState,
  ShardRouter,
  StateLocks,
  SwitchyardConfig,
  toSwitchyardConfig,
  validateEnvironment,
} from '@switchyard/orchestration';
import { SessionStore } from '@switchyard/orchestration/sessions/session.store';

/**
 * The session state service built by hand (as Nest would) on a real Redis, under a prefix of its
 * own, for tests and the state writer processes. Always `close()` it.
 */
export class StateHarness {
  readonly config: SwitchyardConfig;
  readonly redis: RedisConnections;
  readonly locks: StateLocks;
  readonly shards: ShardRouter;
  readonly state: SessionState;
  readonly sessions: SessionStore;
  private readonly batcher: RedisWriteBatcher;

  constructor(env: Record<string, string | undefined> = {}) {
    this.config = toSwitchyardConfig(
      validateEnvironment({ SWITCHYARD_PREFIX: `t${randomBytes(5).toString('hex')}`, REDIS_URL: process.env.REDIS_URL, LOG_LEVEL: 'warn', ...env }),
    );
    this.redis = new RedisConnections(this.config);
    this.shards = new ShardRouter(this.config.prefix, this.config.shards);
    // Lock waits and failures are counted in the prefix's metrics, as in the apps.
    this.batcher = new RedisWriteBatcher(this.redis, this.config);
    this.locks = new StateLocks(this.config, new MetricsRecorder(this.redis, this.batcher, this.shards), this.redis);
    this.state = new SessionState(this.redis, this.locks, this.shards, this.config);
    this.sessions = new SessionStore(this.redis);
  }

  get prefix(): string {
    return this.config.prefix;
  }

  /** A new session record (no plan), as the launcher creates it; answers its id and shard tag. */
  async newSession(context: Record<string, unknown> = {}): Promise<{ sessionId: string; tag: ReturnType<ShardRouter['tagOf']> & string }> {
    const sessionId = this.shards.newSessionId();
    const tag = this.shards.tagOf(sessionId)!;
    await this.sessions.create(tag, { id: sessionId, tenant: 'acme', context });
    return { sessionId, tag };
  }

  /** Every key under this harness's prefix. */
  async keys(pattern = `{${this.prefix}-*`): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  }

  /** Deletes the prefix's keys (when `clean`) and closes every connection. */
  /** Sends the lock metrics counted so far (they are batched, as in the apps). */
  flushMetrics(): Promise<void> {
    return this.batcher.flush();
  }

  async close(clean = true): Promise<void> {
    await this.batcher.flush();
    if (clean) {
      const leftovers = await this.keys();
      if (leftovers.length > 0) await this.redis.client.del(...leftovers);
    }
    await this.locks.onApplicationShutdown();
    await this.redis.onApplicationShutdown();
  }
}
