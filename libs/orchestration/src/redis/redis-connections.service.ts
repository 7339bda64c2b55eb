import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { loggableUrl } from '../logging/loggable-url';

/** Redis did not answer at boot; `redisUrl` is REDIS_URL without its password (see loggableUrl). */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly redisUrl: string;
  constructor(redisUrl: string, reason: string) {
    const shown = loggableUrl(redisUrl);
    super(
      `Redis at ${shown} does not answer (${reason}). Start one (apt-get install redis-server, or ` +
        '`docker compose up -d redis`) or point REDIS_URL at a running one.',
    );
    this.redisUrl = shown;
  }
}

/**
 * The one place Redis connections are made. `client` serves plain commands and every BullMQ
 * Queue of the process (flows are added through them); BullMQ Workers duplicate it for their
 * blocking reads.
 * Connections close after everything else has shut down.
 */
@Injectable()
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  readonly client: Redis;
  private readonly extra: Redis[] = [];
  private readonly drains: (() => Promise<void>)[] = [];

  constructor(@Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig) {
    // Each command leaves in its own socket write, as in plain BullMQ: Redis then runs the
    // commands of concurrent jobs while this process handles the replies of others. Gathering a
    // tick's commands into one write would save system calls but make the two take turns, each
    // idle while the other works through a whole tick's commands or replies.
    this.client = this.create('main');
  }

  /** Fails the boot with one clear message when Redis does not answer within a few seconds. */
  async onModuleInit(): Promise<void> {
    const timeoutMs = 5000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.client.ping(), expired]);
    } catch (error) {
      this.client.disconnect();
      throw new RedisUnavailableError(this.config.redisUrl, (error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A new connection for a consumer that blocks (a BullMQ Worker) or subscribes. */
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
    const connection = new Redis(this.config.redisUrl, {
      // Required by BullMQ: its blocking commands must never give up on their own.
      maxRetriesPerRequest: null,
      connectionName: `switchyard:${name}`,
      lazyConnect: false,
    });
    connection.on('error', (error: Error) => this.logger.warn(`Redis (${name}): ${error.message}`));
    return connection;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.drains.map((drain) => drain().catch(() => undefined)));
    await Promise.all(
      [...this.extra, this.client].map((c) => c.quit().catch(() => c.disconnect())),
    );
  }
}
