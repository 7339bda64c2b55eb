import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { inOneWrite } from '../adapters/ioredis';
import { RedisConnections } from './redis-connections.service';

/** Something that buffers writes and sends them when the batcher flushes. */
export interface BatchContributor {
  /**
   * Sends everything buffered with `client` (the flush puts all of them on the socket in one
   * write); answers the commands' replies.
   */
  drainInto(client: Redis): Promise<unknown>[];
  /** Told how many of its commands failed in a flush (they are not retried). */
  failed?(count: number): void;
}

/** Flush at once when this many commands wait, instead of waiting for the timer. */
const FLUSH_AT_COMMANDS = 512;

/**
 * Batches fire-and-forget writes (orchestration log entries, metric increments) of this process
 * into one socket write per tick of SWITCHYARD_LOG_FLUSH_MS, so many writes cost one round trip.
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

  /** Sends everything buffered now, in one socket write. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = 0;
    const client = this.redis.client;
    const sent = inOneWrite(client, () => this.contributors.map((c) => c.drainInto(client)));
    if (sent.every((replies) => replies.length === 0)) return Promise.resolve();
    return Promise.all(
      sent.map(async (replies, i) => {
        const failures = (await Promise.allSettled(replies)).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failures.length > 0) this.report(failures.length, this.contributors[i], failures[0].reason);
      }),
    ).then(() => undefined);
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
