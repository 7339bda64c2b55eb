import { Inject, Injectable } from '@nestjs/common';
import type { FlowJob } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { TaskJobData } from '../plans/task-job';
import { fairKeys, WAIT_QUEUE } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { classCounts, fairPriorities, MAX_BULL_PRIORITY, MAX_STORED_CLASSES, weightOf } from './fair-share';
import { reserveFairTurns } from './scripts/fair-turns';

/** A task job of a flow being built: its data and options may still be changed. */
type TaskNode = FlowJob & { data: TaskJobData };

/**
 * Gives a tenant's new task jobs their fair-share turns before they are queued (see
 * fair-share.ts): one script call on the deployment's clock per submission (a session's plan, or
 * the subtasks one agent spawned), which sets each job's BullMQ priority and records its tenant.
 * With SWITCHYARD_FAIR_SHARE=off it only records the tenant.
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
    const { turnMs, weights, turns: on } = this.config.fairShare;
    const planned = nodes.map((node) => node.opts?.priority ?? MAX_BULL_PRIORITY);
    // Off: the plan's priorities stay, and no clock call; the tenant still goes in (for the cap).
    const priorities = on ? await this.turns(tenant, planned, turnMs, weightOf(weights, tenant)) : undefined;
    // The nodes were built for this submission alone (see plans/flow-builder.ts): set in place,
    // rather than copy every job's data and options, which for a 10,000-task plan held both
    // copies until the next collection.
    nodes.forEach((node, i) => {
      if (priorities) (node.opts ??= {}).priority = priorities[i];
      (node.data as { tenant?: string }).tenant = tenant;
    });
  }

  /** One clock call for the submission's priority classes; each job's fair priority. */
  private async turns(tenant: string, planned: readonly number[], turnMs: number, weight: number): Promise<number[]> {
    const classes = classCounts(planned);
    const turns = await reserveFairTurns(this.redis.client, fairKeys.clock(this.config.prefix), {
      tenant,
      classes,
      turnMs,
      weight,
      maxPriority: MAX_BULL_PRIORITY,
      maxClasses: MAX_STORED_CLASSES,
    });
    const starts = new Map(classes.map((c, i) => [c.priority, turns.starts[i]]));
    return fairPriorities(planned, { starts, epoch: turns.epoch, turnMs, weight });
  }
}
