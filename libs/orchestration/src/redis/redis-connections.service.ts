import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';

/**
 * The one place Redis connections are made. `client` serves plain commands and every BullMQ
 * Queue and FlowProducer of the process; BullMQ Workers duplicate it for their blocking reads.
 * Connections close after everything else has shut down.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  readonly client: Redis;
  private readonly extra: Redis[] = [];

  constructor(@Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig) {
    this.client = this.create('main');
  }

  /** A new connection for a consumer that blocks (a BullMQ Worker) or subscribes. */
  duplicate(name: string): Redis {
    const connection = this.create(name);
    this.extra.push(connection);
    return connection;
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
    await Promise.all(
      [...this.extra, this.client].map((c) => c.quit().catch(() => c.disconnect())),
    );
  }
}
