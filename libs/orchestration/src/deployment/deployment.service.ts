import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { BUILTIN_CAPABILITY_NAMES } from '../agents/capability-catalog';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { DeploymentMismatchError } from '../errors/errors';
import { TemplateCatalog } from '../plans/templates/template-catalog.service';
import { QueueDirectory } from '../queues/queue-directory.service';
import { registryKeys } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { inOneWrite } from '../adapters/ioredis';
import { recordDeployment } from './scripts/record-deployment';

export interface InitializeAnswer {
  /** False when everything was in place already: the call changed nothing. */
  readonly changed: boolean;
  readonly message: string;
  readonly deployment: { readonly prefix: string; readonly shards: number; readonly version: string; readonly initializedAt: string };
  /** Queues (`<shard tag> <name>`) whose BullMQ metadata this call wrote. */
  readonly createdQueues: readonly string[];
  readonly queues: number;
  readonly capabilities: { readonly builtin: number; readonly custom: number };
  readonly templates: readonly string[];
}

const VERSION = '0.1.0';

/**
 * `POST /initialize`: makes sure the deployment is set up — its record (prefix, shard count,
 * version), every capability queue and `sy.session` in every shard with its BullMQ metadata, the
 * capability catalog read back from Redis — and says what it had to do. A second call finds all of
 * it in place and changes nothing. A record made with another shard count is refused (409):
 * sessions already placed by shard would no longer be found.
 */
@Injectable()
export class DeploymentSetup {
  constructor(
    private readonly redis: RedisConnections,
    private readonly directory: QueueDirectory,
    private readonly catalog: CapabilityCatalog,
    private readonly templates: TemplateCatalog,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  async initialize(): Promise<InitializeAnswer> {
    const now = new Date().toISOString();
    const recorded = await recordDeployment(this.redis.client, {
      key: registryKeys.deployment(this.config.prefix),
      record: { prefix: this.config.prefix, shards: this.config.shards, version: VERSION, initializedAt: now },
    });
    const record = recorded.created ? undefined : recorded.stored;
    if (record && Number(record.shards) !== this.config.shards) {
      throw new DeploymentMismatchError({ shards: Number(record.shards) }, { shards: this.config.shards });
    }

    await this.catalog.refresh();
    const queues = this.directory.all();
    const client = this.redis.client;
    const present = await Promise.all(inOneWrite(client, () => queues.map((q) => client.exists(q.queue.keys.meta))));
    const missing = queues.filter((_, i) => present[i] === 0);
    // A BullMQ Queue writes its metadata as it starts: a fresh one for each queue without any
    // (this process's own Queue objects wrote theirs when they started, and will not again).
    await Promise.all(
      missing.map(async ({ tag, name }) => {
        const queue = new Queue(name, { connection: this.redis.client, prefix: tag });
        queue.on('error', () => undefined);
        try {
          await queue.getVersion();
        } finally {
          await queue.close();
        }
      }),
    );
    const createdQueues = missing.map((q) => `${q.tag} ${q.name}`);

    const changed = !record || createdQueues.length > 0;
    const initializedAt = record?.initializedAt ?? now;
    const custom = this.catalog.list().length - BUILTIN_CAPABILITY_NAMES.size;
    return {
      changed,
      message: changed
        ? `Initialized: ${record ? 'the deployment record was there' : 'recorded the deployment'}, ${createdQueues.length} queue(s) created, ${queues.length} in all`
        : `Already initialized at ${initializedAt}; nothing changed`,
      deployment: { prefix: this.config.prefix, shards: this.config.shards, version: record?.version ?? VERSION, initializedAt },
      createdQueues,
      queues: queues.length,
      capabilities: { builtin: BUILTIN_CAPABILITY_NAMES.size, custom },
      templates: this.templates.list().map((t) => t.name),
    };
  }
}
