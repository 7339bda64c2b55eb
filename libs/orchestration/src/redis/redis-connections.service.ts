import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { RedisUnavailableError } from '../errors/errors';
import { BoundedWaitRedis, clusterConnection, connectMasters, seedsName } from '../adapters/ioredis';

/**
 * Provided by a process that answers clients (the API): its connections wait for Redis at most
 * SWITCHYARD_REDIS_WAIT_MS per command, then fail (see BoundedWaitRedis). Without it (workers),
 * commands wait for Redis to come back: BullMQ's blocking reads and a job's writes must not give
 * up during an outage.
 */
export const BOUNDED_REDIS_WAIT = Symbol('BOUNDED_REDIS_WAIT');

/**
 * The one place Redis connections are made. `client` serves plain commands and every BullMQ
 * Queue of the process (flows are added through them); BullMQ Workers duplicate it for their
 * blocking reads. With {@link BOUNDED_REDIS_WAIT} every connection is a BoundedWaitRedis (the
 * API has no blocking reads).
 * With SWITCHYARD_REDIS_CLUSTER every connection is a cluster connection instead (an ioredis
 * Cluster on the seed nodes, typed as the same Redis; see clusterConnection) and REDIS_URL is
 * ignored: whoever takes a connection from here (queues, workers, flows, Redlock, the throttler,
 * Bull Board) works on the cluster without knowing it.
 * Connections close after everything else has shut down.
 */
@Injectable()
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  readonly client: Redis;
  private readonly extra: Redis[] = [];
  private readonly drains: (() => Promise<void>)[] = [];
  private readying?: Promise<void>;

  constructor(
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
    @Optional() @Inject(BOUNDED_REDIS_WAIT) private readonly bounded = false,
  ) {
    // Each command leaves in its own socket write, as in plain BullMQ: Redis then runs the
    // commands of concurrent jobs while this process handles the replies of others. Gathering a
    // tick's commands into one write would save system calls but make the two take turns, each
    // idle while the other works through a whole tick's commands or replies.
    this.client = this.create('main');
  }

  /** Fails the boot with one clear message when Redis does not answer within a few seconds. */
  async onModuleInit(): Promise<void> {
    await this.ready();
  }

  /**
   * Resolves once `client` answers (on a cluster: once it knows the slots and has a connection
   * open to every master), or fails with a RedisUnavailableError after a few seconds. Asked by
   * whatever needs Redis while the process is being built (the shard tags); the same wait for all.
   */
  ready(): Promise<void> {
    this.readying ??= this.waitReady();
    return this.readying;
  }

  private async waitReady(): Promise<void> {
    const timeoutMs = 5000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const answers = async () => {
      await this.connected(this.client);
      await this.client.ping();
      if (this.cluster) await connectMasters(this.client);
    };
    try {
      await Promise.race([answers(), expired]);
    } catch (error) {
      this.client.disconnect();
      throw new RedisUnavailableError(this.target, (error as Error).message, { atBoot: true });
    } finally {
      clearTimeout(timer);
    }
  }

  /** What the connections reach, as errors name it: REDIS_URL or the cluster's seeds. */
  get target(): string {
    return this.config.redisCluster.length > 0 ? seedsName(this.config.redisCluster) : this.config.redisUrl;
  }

  /** Whether the connections are cluster connections (SWITCHYARD_REDIS_CLUSTER). */
  get cluster(): boolean {
    return this.config.redisCluster.length > 0;
  }

  /** Resolves once `connection` is ready for commands (a bounded one refuses them before). */
  private connected(connection: Redis): Promise<void> {
    if (connection.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => connection.once('ready', () => resolve()));
  }

  /** A new connection for a consumer that blocks (a BullMQ Worker), subscribes, or owns an order of commands (the engine's HandOff). */
  duplicate(name: string): Redis {
    const connection = this.create(name);
    this.extra.push(connection);
    return connection;
  }

  /**
   * Runs `drain` at shutdown before the connections close (a buffer that still has writes to
   * send). Errors are the drain's own business.
   */
  beforeClose(drain: () => Promise<void>): void {
    this.drains.push(drain);
  }

  private create(name: string): Redis {
    const common = { connectionName: `switchyard:${name}`, lazyConnect: false };
    const connection = this.cluster
      ? clusterConnection(this.config.redisCluster, {
          connectionName: common.connectionName,
          ...(this.bounded ? { boundedWaitMs: this.config.redisWaitMs } : {}),
        })
      : this.bounded
        ? new BoundedWaitRedis(this.config.redisUrl, common, this.config.redisWaitMs)
        : // Required by BullMQ: its blocking commands must never give up on their own.
          new Redis(this.config.redisUrl, { ...common, maxRetriesPerRequest: null });
    connection.on('error', (error: Error) => this.logger.warn(`Redis (${name}): ${error.message}`));
    return connection;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.drains.map((drain) => drain().catch(() => undefined)));
    await Promise.all([...this.extra, this.client].map((c) => c.quit().catch(() => c.disconnect())));
  }
}
