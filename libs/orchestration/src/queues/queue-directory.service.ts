import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { SESSION_QUEUE, ShardTag, WAIT_QUEUE } from '../redis/keys';
import { ShardRouter } from '../redis/shards';
import { TaskQueues } from './task-queues.service';

export interface DeploymentQueue {
  readonly tag: ShardTag;
  readonly name: string;
  readonly queue: Queue;
}

/** Every queue of the deployment: each capability's, the session queue and the wait queue, in every shard. */
@Injectable()
export class QueueDirectory {
  constructor(
    private readonly shards: ShardRouter,
    private readonly queues: TaskQueues,
    private readonly catalog: CapabilityCatalog,
  ) {}

  all(): DeploymentQueue[] {
    const names = [...[...this.catalog.names()].sort(), SESSION_QUEUE, WAIT_QUEUE];
    return this.shards.tags.flatMap((tag) => names.map((name) => ({ tag, name, queue: this.queues.queue(tag, name) })));
  }
}
