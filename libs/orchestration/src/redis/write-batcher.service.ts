import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ChainableCommander } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { RedisConnections } from './redis-connections.service';

/** Something that buffers writes and hands them to the batcher's pipeline when it flushes. */
export interface BatchContributor {
  /** Moves everything buffered into `pipeline`; answers how many commands it added. */
  drainInto(pipeline: ChainableCommander): number;
  /** Told how many of its commands failed in a flush (they are not retried). */
  failed?(count: number): void;
}

/** Flush at once when this many commands wait, instead of waiting for the timer. */
const FLUSH_AT_COMMANDS = 512;

/**
 * Batches fire-and-forget writes (orchestration log entries, metric increments) of this process
 * into one pipeline per tick of SWITCHYARD_LOG_FLUSH_MS, so many writes cost one round trip.
 * A flush puts its commands on the process' command connection before it returns, so a command
 * sent after `flush()` runs after them in Redis: call it before a write that lets other processes
 * act (waking a dependant), and their entries follow yours. Write errors are counted and logged,
 * never thrown: a lost log line must never fail a task. Flushed one last time at shutdown.
 */
@Injectable()
export class RedisWriteBatcher {
  private readonly logger = new Logger(RedisWriteBatcher.name);
  private readonly contributors: BatchContributor[] = [];
  private timer?: NodeJS.Timeout;
  private waiting = 0;
  private failures = 0;
  private lastWarning = 0;

  constructor(
    private readonly redis: RedisConnections,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {
    redis.beforeClose(() => this.flush());
  }

  register(contributor: BatchContributor): void {
    this.contributors.push(contributor);
  }

  /** Commands that failed since the process started. */
  get writeErrors(): number {
    return this.failures;
  }

  /** A contributor buffered `commands` more: flush within the interval, or now when many wait. */
  schedule(commands = 1): void {
    this.waiting += commands;
    if (this.waiting >= FLUSH_AT_COMMANDS) {
      void this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.config.logFlushMs);
    this.timer.unref();
  }

  /** Sends everything buffered now, in one pipeline. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = 0;
    const pipeline = this.redis.client.pipeline();
    const counts = this.contributors.map((c) => c.drainInto(pipeline));
    if (counts.every((n) => n === 0)) return Promise.resolve();
    return pipeline.exec().then(
      (rows) => {
        let offset = 0;
        counts.forEach((n, i) => {
          const failed = (rows ?? []).slice(offset, offset + n).filter(([error]) => error).length;
          offset += n;
          if (failed > 0) this.report(failed, this.contributors[i], (rows ?? []).find(([error]) => error)?.[0] ?? undefined);
        });
      },
      (error: unknown) => counts.forEach((n, i) => n > 0 && this.report(n, this.contributors[i], error)),
    );
  }

  private report(count: number, contributor: BatchContributor, error: unknown): void {
    this.failures += count;
    contributor.failed?.(count);
    // One warning per second at most: Redis being away would otherwise flood the process log.
    if (Date.now() - this.lastWarning >= 1000) {
      this.lastWarning = Date.now();
      this.logger.warn({ failed: count, total: this.failures, error: (error as Error)?.message }, 'batched writes failed (log entries or metrics lost)');
    }
  }
}
