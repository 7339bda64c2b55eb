import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import Redlock, { ExecutionError, ExecutionStats, Lock, ResourceLockedError } from 'redlock';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { StateLockUnavailableError } from '../errors/errors';
import { loggableUrl } from '../logging/loggable-url';
import { MetricsRecorder } from '../metrics/metrics.recorder';
import { redlockOnOneRedis } from '../adapters/redlock';
import { oneWritePerTick } from '../adapters/ioredis';
import { RedisConnections } from '../redis/redis-connections.service';
import { ReadRequest, ReadWithLock } from './read-with-lock';

/** A lock held on some state entries; `token` is what their lock keys hold while it lasts. */
export interface HeldLock {
  readonly resources: readonly string[];
  readonly token: string;
  readonly ttlMs: number;
  /** Whether the lock keys live in the deployment's own Redis, so a commit script can check them itself. */
  readonly fenced: boolean;
  /** When the lock runs out (ms since the epoch, with Redlock's clock-drift margin taken off). */
  readonly expiresAt: number;
}

const RETRY_DELAY_MS = 15;
const RETRY_JITTER_MS = 15;
/** A lock server that does not answer within this counts as a vote against. */
const LOCK_COMMAND_TIMEOUT_MS = 1000;

/** The deployment's Redis did not answer a lock acquisition in time (it is down or unreachable). */
class RedisUnansweredError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms (is it down?)`);
  }
}

/** The `resource` label of state locks in the lock metrics (a kind, not a key: one series). */
const LOCK_METRIC = 'session-state';

/**
 * Redlock over the deployment's Redis (the default) or over several independent Redis servers
 * (SWITCHYARD_LOCK_REDIS_URLS: a majority must grant each lock). The quorum's own connections
 * fail fast when a server is gone, so a lost quorum is an error, never a hang.
 *
 * With one Redis, locks and the state's own commands share one connection of their own
 * (`client`): what concurrent transactions send in one tick leaves in one socket write (see
 * oneWritePerTick), and an acquisition can read the locked entries in the same command (see
 * ReadWithLock).
 * Like every other command on the deployment's Redis, they wait for it while it is down, but an
 * acquisition gives up after twice SWITCHYARD_STATE_LOCK_WAIT_MS and a second.
 */
@Injectable()
export class StateLocks implements OnApplicationShutdown {
  private readonly logger = new Logger(StateLocks.name);
  private readonly clients: Redis[];
  private readonly redlock: Redlock;
  /** With one Redis, what carries out acquisitions that read as they lock. */
  private readonly reading?: ReadWithLock;
  private readonly fenced: boolean;
  /** Where the state's commands go: the locks' connection with one Redis, else the main one. */
  readonly client: Redis;

  constructor(
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
    private readonly metrics: MetricsRecorder,
    redis: RedisConnections,
  ) {
    this.fenced = config.state.lockRedisUrls.length === 0;
    this.client = this.fenced ? redis.duplicate('state') : redis.client;
    if (this.fenced) this.reading = new ReadWithLock(this.client);
    this.clients = this.fenced
      ? [this.client]
      : config.state.lockRedisUrls.map((url, i) => {
          const client = new Redis(url, {
            connectionName: `switchyard:locks-${i}`,
            maxRetriesPerRequest: 0,
            commandTimeout: LOCK_COMMAND_TIMEOUT_MS,
            connectTimeout: LOCK_COMMAND_TIMEOUT_MS,
            retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
          });
          client.on('error', (error: Error) => this.logger.debug(`lock server ${loggableUrl(url)}: ${error.message}`));
          return client;
        });
    const settings = {
      retryCount: Math.ceil(config.state.lockWaitMs / RETRY_DELAY_MS),
      retryDelay: RETRY_DELAY_MS,
      retryJitter: RETRY_JITTER_MS,
      // No automatic extension: a transaction's lock lasts its TTL, and a commit after that fails.
      automaticExtensionThreshold: 0,
    };
    // With one Redis, an acquisition can carry a read of the entries it locks (see ReadWithLock).
    this.redlock = this.reading ? redlockOnOneRedis(this.client, this.reading, settings) : new Redlock(this.clients, settings);
  }

  /** Whether the locks live in the deployment's own Redis, where a state script can see them. */
  get local(): boolean {
    return this.fenced;
  }

  /**
   * Runs `attempt` until it finds `resources` free (it answers `locked` while another
   * transaction holds one), waiting between tries as an acquisition of them would: every
   * 15 ± 15 ms, for up to SWITCHYARD_STATE_LOCK_WAIT_MS.
   */
  async whileLocked<T>(resources: readonly string[], attempt: () => Promise<T | 'locked'>): Promise<T> {
    const started = performance.now();
    for (let tries = 1; ; tries++) {
      const result = await attempt();
      if (result !== 'locked') {
        if (tries > 1) this.metrics.lockWait(LOCK_METRIC, performance.now() - started);
        return result;
      }
      if (performance.now() - started >= this.config.state.lockWaitMs) {
        this.metrics.lockFailure(LOCK_METRIC, 'timeout');
        throw new StateLockUnavailableError([...resources], this.heldTooLong());
      }
      await sleep(RETRY_DELAY_MS + Math.floor((Math.random() * 2 - 1) * RETRY_JITTER_MS));
    }
  }

  /** How many lock servers there are (1 unless the quorum setup is configured). */
  get servers(): number {
    return this.clients.length;
  }

  /**
   * Takes a lock on `resources`. With `read`, and one Redis, the first acquire attempt reads those
   * entries in the same command once the lock is granted; the reply comes back as `read` when that
   * first attempt won (after a wait there is no `read`: the transaction reads for itself).
   */
  async acquire(resources: readonly string[], ttlMs: number, read?: ReadRequest): Promise<HeldLock & { lock: Lock; read?: unknown[] }> {
    const sorted = resources.length === 1 ? [resources[0]] : [...new Set(resources)].sort();
    const started = performance.now();
    let lock: Lock;
    let readReply: (() => unknown[] | undefined) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (this.fenced) oneWritePerTick(this.client);
      const acquire = () => this.redlock.acquire(sorted, Math.round(ttlMs));
      let acquiring: Promise<Lock>;
      if (read && this.reading) ({ acquiring, read: readReply } = this.reading.readWith(read, acquire));
      else acquiring = acquire();
      if (this.fenced) {
        // The deployment's connection waits for Redis while it is away, and Redlock with it:
        // give up once the acquisition has had all its retries' time and more. A lock granted
        // after that (Redis came back) is released at once.
        const giveUpMs = 2 * this.config.state.lockWaitMs + LOCK_COMMAND_TIMEOUT_MS;
        const unanswered = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RedisUnansweredError(giveUpMs)), giveUpMs);
        });
        lock = await Promise.race([acquiring, unanswered]).catch((error: unknown) => {
          if (error instanceof RedisUnansweredError)
            acquiring.then(
              (late) => this.release({ lock: late }),
              () => undefined,
            );
          throw error;
        });
      } else {
        lock = await acquiring;
      }
    } catch (error) {
      this.metrics.lockFailure(LOCK_METRIC, error instanceof ExecutionError || error instanceof RedisUnansweredError ? 'timeout' : 'error');
      if (error instanceof ExecutionError) throw new StateLockUnavailableError(sorted, await this.why(error));
      if (error instanceof RedisUnansweredError) throw new StateLockUnavailableError(sorted, error.message);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const held: HeldLock & { lock: Lock; read?: unknown[] } = {
      lock,
      resources: sorted,
      token: lock.value,
      ttlMs,
      fenced: this.fenced,
      expiresAt: lock.expiration,
    };
    // More than one attempt: another transaction held a key and this one waited for it.
    if (lock.attempts.length > 1) this.metrics.lockWait(LOCK_METRIC, performance.now() - started);
    else held.read = readReply?.();
    return held;
  }

  /** Counts a transaction whose lock lapsed before its commit. */
  expired(): void {
    this.metrics.lockFailure(LOCK_METRIC, 'expired');
  }

  /** Releases a lock; a failure is ignored, as the lock expires by itself. */
  async release(held: { lock: Lock }): Promise<void> {
    await this.redlock.release(held.lock, { retryCount: 0 }).catch((error: unknown) => {
      this.logger.debug(`releasing a state lock failed (it expires by itself): ${String(error)}`);
    });
  }

  /** Says why an acquisition failed, from the votes of its last attempt. */
  private async why(error: ExecutionError): Promise<string> {
    const last = error.attempts.at(-1);
    let timer: NodeJS.Timeout | undefined;
    const stats: ExecutionStats | undefined = last
      ? await Promise.race([last, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), LOCK_COMMAND_TIMEOUT_MS * 2)))])
      : undefined;
    clearTimeout(timer);
    if (!stats) return `no quorum of the ${this.clients.length} lock server(s) within ${this.config.state.lockWaitMs} ms`;
    const against = [...stats.votesAgainst.values()];
    const unreachable = against.filter((e) => !(e instanceof ResourceLockedError)).length;
    if (unreachable > 0 && stats.membershipSize - unreachable < stats.quorumSize) {
      return `only ${stats.membershipSize - unreachable} of ${stats.membershipSize} lock servers answered, ${stats.quorumSize} are needed (${against.find((e) => !(e instanceof ResourceLockedError))?.message})`;
    }
    return this.heldTooLong();
  }

  /** Why an entry's lock could not be had: its holder kept it past the wait. */
  private heldTooLong(): string {
    return `another transaction held them for longer than SWITCHYARD_STATE_LOCK_WAIT_MS (${this.config.state.lockWaitMs} ms)`;
  }

  async onApplicationShutdown(): Promise<void> {
    // A client whose server is gone would wait for it to come back before quitting.
    // With one Redis, the connection is RedisConnections' to close, after everything else.
    if (this.fenced) return;
    await Promise.all(
      this.clients.map(async (c) => {
        if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
        else c.disconnect();
      }),
    );
  }
}
