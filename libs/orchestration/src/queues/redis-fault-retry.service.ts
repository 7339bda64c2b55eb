import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { isRedisFault } from '../errors/redis-faults';

/** The part of a BullMQ job a deferral needs. */
export interface DeferrableJob {
  readonly id?: string;
  readonly queueQualifiedName: string;
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

/** The first wait for Redis, doubled at each deferral up to {@link MAX_DELAY_MS}. */
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
/** How often a deferral that Redis refuses is tried again (it is a write too) before the error goes to BullMQ. */
const DEFER_TRIES = 3;
/** Jobs followed at once, past which those whose window has closed are forgotten. */
const FOLLOWED_JOBS = 10_000;

/**
 * A job's work that fails because of Redis (see isRedisFault: out of memory, read-only, loading,
 * the connection lost) is not the task's failure: the job goes back to the delayed set, backed off
 * from 1 s up to 30 s, without spending an attempt, for as long as SWITCHYARD_REDIS_RETRY_S from
 * its first such failure in this process. After that, the failure counts as the job's own (its
 * attempts, then its failure policy).
 */
@Injectable()
export class RedisFaultRetry {
  private readonly logger = new Logger(RedisFaultRetry.name);
  /** Per job (by its qualified queue name and id): when Redis first failed it, and how often it was deferred. */
  private readonly followed = new Map<string, { since: number; deferrals: number }>();

  constructor(@Inject(SWITCHYARD_CONFIG) private readonly config: Pick<SwitchyardConfig, 'redisRetrySeconds'>) {}

  /** Whether `error` is Redis's and `job` may still wait for Redis rather than fail. */
  waits(job: DeferrableJob, error: unknown): boolean {
    if (!isRedisFault(error)) return false;
    const key = keyOf(job);
    let entry = this.followed.get(key);
    if (!entry) {
      this.forgetClosed();
      entry = { since: Date.now(), deferrals: 0 };
      this.followed.set(key, entry);
    }
    return Date.now() - entry.since < this.config.redisRetrySeconds * 1000;
  }

  /** The job's run ended other than by a Redis fault: its window starts afresh next time. */
  cleared(job: DeferrableJob): void {
    if (this.followed.size > 0) this.followed.delete(keyOf(job));
  }

  /**
   * Puts the job back in the delayed set for its next try, and throws what tells BullMQ so. Should
   * Redis refuse that too, `error` goes to BullMQ after a few tries (which then counts an attempt,
   * if Redis lets it).
   */
  async defer(job: DeferrableJob, token: string | undefined, error: unknown): Promise<never> {
    const entry = this.followed.get(keyOf(job)) ?? { since: Date.now(), deferrals: 0 };
    const delayMs = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** entry.deferrals);
    entry.deferrals++;
    this.logger.warn(
      { job: job.id, queue: job.queueQualifiedName, delayMs, error: (error as Error).message },
      "Redis refused the job's work: it waits for Redis, without spending an attempt",
    );
    for (let tries = 1; ; tries++) {
      try {
        await job.moveToDelayed(Date.now() + delayMs, token);
        break;
      } catch (refused) {
        if (tries >= DEFER_TRIES || !isRedisFault(refused)) throw error;
        await sleep(500 * tries);
      }
    }
    throw new DelayedError();
  }

  private forgetClosed(): void {
    if (this.followed.size < FOLLOWED_JOBS) return;
    const closed = Date.now() - this.config.redisRetrySeconds * 1000;
    for (const [key, { since }] of this.followed) if (since < closed) this.followed.delete(key);
  }
}

const keyOf = (job: DeferrableJob) => `${job.queueQualifiedName}:${job.id}`;
