import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { TaskJobData } from '../plans/task-job';
import { fairKeys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { acquireTenantSlot, releaseTenantSlot, renewTenantSlot } from './scripts/tenant-slots';

/** How long a job refused a slot waits before it asks again (ms); its place in the queue (its priority) is kept. */
export const SLOT_RETRY_MS = 200;

/** The part of a BullMQ job a slot needs: its id and data, and the move back to the delayed set. */
export type SlotJob = Pick<Job<TaskJobData>, 'id' | 'data' | 'moveToDelayed'>;

/**
 * SWITCHYARD_TENANT_MAX_RUNNING: a task job runs only while it holds one of its tenant's slots,
 * counted deployment-wide in one sorted set under the global tag (tenant-slots.lua), whatever
 * shard its session sits in. A job refused a slot goes back to the delayed set for
 * SLOT_RETRY_MS and keeps its fair-share priority. A hold lapses after three lock durations
 * unless renewed (every lock duration while the job runs), so a dead worker's slots come back.
 */
@Injectable()
export class TenantSlots {
  private readonly logger = new Logger(TenantSlots.name);

  constructor(
    @Inject(RedisConnections) private readonly redis: Pick<RedisConnections, 'client'>,
    @Inject(SWITCHYARD_CONFIG) private readonly config: Pick<SwitchyardConfig, 'prefix' | 'fairShare' | 'lockDurationMs'>,
  ) {}

  /** Runs `work` holding a slot of the job's tenant; with no cap (or a job queued without a tenant) it just runs it. */
  async run<T>(tag: ShardTag, job: SlotJob, token: string | undefined, work: () => Promise<T>): Promise<T> {
    const max = this.config.fairShare.maxRunning;
    const tenant = job.data.tenant;
    if (max === 0 || tenant === undefined) return work();
    const key = fairKeys.running(this.config.prefix, tenant);
    const member = `${tag}/${job.id}`;
    const holdMs = 3 * this.config.lockDurationMs;
    if (!(await acquireTenantSlot(this.redis.client, key, member, holdMs, max))) {
      await job.moveToDelayed(Date.now() + SLOT_RETRY_MS, token);
      throw new DelayedError();
    }
    const renewal = setInterval(() => {
      renewTenantSlot(this.redis.client, key, member, holdMs).catch((error: Error) =>
        this.logger.warn({ tenant, job: member, error: error.message }, 'could not renew a tenant slot'),
      );
    }, this.config.lockDurationMs);
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      await releaseTenantSlot(this.redis.client, key, member).catch((error: Error) =>
        this.logger.warn({ tenant, job: member, error: error.message }, 'could not release a tenant slot: it lapses'),
      );
    }
  }
}
