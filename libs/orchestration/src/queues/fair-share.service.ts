import { Inject, Injectable } from '@nestjs/common';
import type { FlowJob } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { TaskJobData } from '../plans/task-job';
import { fairKeys, WAIT_QUEUE } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { fairPriorities, MAX_BULL_PRIORITY, weightOf } from './fair-share';
import { reserveFairTurns } from './scripts/fair-turns';

/** A task job of a flow being built: its data and options may still be changed. */
type TaskNode = FlowJob & { data: TaskJobData };

/**
 * Gives a tenant's new task jobs their fair-share turns before they are queued (see
 * fair-share.ts): one script call on the deployment's clock per submission (a session's plan, or
 * the subtasks one agent spawned), which sets each job's BullMQ priority and records its tenant.
 */
@Injectable()
export class FairShare {
  constructor(
    @Inject(RedisConnections) private readonly redis: Pick<RedisConnections, 'client'>,
    @Inject(SWITCHYARD_CONFIG) private readonly config: Pick<SwitchyardConfig, 'prefix' | 'fairShare'>,
  ) {}

  /** Sets the priority and tenant of every capability task job in `flows` (and their children). */
  async apply(tenant: string, flows: readonly FlowJob[]): Promise<void> {
    const nodes: TaskNode[] = [];
    const collect = (node: FlowJob) => {
      // Waits and signals take no capability slot: their queue needs no turns.
      if ((node.data as { type?: string } | undefined)?.type === 'task' && node.queueName !== WAIT_QUEUE) nodes.push(node as TaskNode);
      for (const child of node.children ?? []) collect(child);
    };
    flows.forEach(collect);
    if (nodes.length === 0) return;
    const { turnMs, weights } = this.config.fairShare;
    const weight = weightOf(weights, tenant);
    const turns = await reserveFairTurns(this.redis.client, fairKeys.clock(this.config.prefix), {
      tenant,
      count: nodes.length,
      turnMs,
      weight,
      maxPriority: MAX_BULL_PRIORITY,
    });
    const priorities = fairPriorities(
      nodes.map((node) => node.opts?.priority ?? MAX_BULL_PRIORITY),
      { start: turns.start, epoch: turns.epoch, turnMs, weight },
    );
    nodes.forEach((node, i) => {
      node.opts = { ...node.opts, priority: priorities[i] };
      node.data = { ...node.data, tenant };
    });
  }
}
