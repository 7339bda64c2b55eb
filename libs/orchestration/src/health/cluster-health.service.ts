import { Injectable } from '@nestjs/common';
import { workersPerQueue } from '../adapters/bullmq';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { RedisConnections } from '../redis/redis-connections.service';
import { SESSION_QUEUE } from '../redis/keys';
import { ShardRouter } from '../redis/shards';
import { TaskQueues } from '../queues/task-queues.service';
import { uncoveredCapabilities } from '../registry/admission';
import { AgentRegistry } from '../registry/agent-registry.service';
import { PLANNING_CAPABILITY } from '../sessions/planning-capability';

/** A queue's state across every shard: how many worker connections consume it and its backlog. */
export interface QueueHealth {
  readonly queue: string;
  readonly workers: number;
  readonly waiting: number;
  readonly delayed: number;
  readonly active: number;
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
};

/**
 * What the health probes look at: Redis answers, workers consume the queues, and how much waits.
 * Workers are counted from Redis' client list (BullMQ names each worker's connection after its
 * queue), so this needs no registry and sees every worker process of the deployment.
 */
@Injectable()
export class ClusterHealth {
  constructor(
    private readonly redis: RedisConnections,
    private readonly shards: ShardRouter,
    private readonly queues: TaskQueues,
    private readonly catalog: CapabilityCatalog,
    private readonly registry: AgentRegistry,
  ) {}

  /** Round-trip time of a PING in ms; rejects when Redis does not answer within `timeoutMs`. */
  async pingRedis(timeoutMs = 1000): Promise<number> {
    const started = performance.now();
    await withTimeout(this.redis.client.ping(), timeoutMs, 'Redis');
    return Math.round((performance.now() - started) * 100) / 100;
  }

  /** Every queue with at least one worker or one job, across all shards. */
  async queueHealth(timeoutMs = 2000): Promise<QueueHealth[]> {
    const names = [...this.catalog.names(), SESSION_QUEUE];
    const all = names.flatMap((name) => this.shards.tags.map((tag) => ({ tag, prefix: tag as string, name })));
    // Workers from one client list per master, not one per queue (see workersPerQueue).
    const [workers, counts] = await withTimeout(
      Promise.all([
        workersPerQueue(this.redis.client, all),
        Promise.all(all.map(({ tag, name }) => this.queues.queue(tag, name).getJobCounts('wait', 'prioritized', 'delayed', 'active'))),
      ]),
      timeoutMs,
      'Redis',
    );
    const perQueue = new Map<string, QueueHealth>();
    all.forEach(({ name }, i) => {
      const sum = perQueue.get(name) ?? { queue: name, workers: 0, waiting: 0, delayed: 0, active: 0 };
      const c = counts[i];
      perQueue.set(name, {
        queue: name,
        workers: sum.workers + workers[i],
        waiting: sum.waiting + (c.wait ?? 0) + (c.prioritized ?? 0),
        delayed: sum.delayed + (c.delayed ?? 0),
        active: sum.active + (c.active ?? 0),
      });
    });
    return [...perQueue.values()].filter((q) => q.workers > 0 || q.waiting + q.delayed + q.active > 0);
  }

  /**
   * The capabilities no live agent can take (as admission judges them: agents registered over
   * REST do not count) that work waits for, sorted: those whose queue, in any shard, holds a job
   * queued, held for its dependencies or waiting for its children; and task_decomposition always,
   * which every goal needs.
   */
  async capabilitiesWithoutLiveAgent(timeoutMs = 2000): Promise<string[]> {
    const find = async () => {
      const [agents] = await Promise.all([this.registry.list(), this.catalog.refresh()]);
      const uncovered = uncoveredCapabilities(agents, this.catalog.names(), this.catalog.policy());
      const needed = await Promise.all(uncovered.map(async (c) => (c === PLANNING_CAPABILITY || (await this.hasWorkWaiting(c)) ? [c] : [])));
      return needed.flat().sort();
    };
    return withTimeout(find(), timeoutMs, 'Redis');
  }

  private async hasWorkWaiting(queue: string): Promise<boolean> {
    const counts = await Promise.all(
      this.shards.tags.map((tag) => this.queues.queue(tag, queue).getJobCounts('wait', 'prioritized', 'delayed', 'waiting-children')),
    );
    return counts.some((c) => Object.values(c).some((n) => n > 0));
  }
}
