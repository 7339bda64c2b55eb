import { Command, Redis, RedisOptions, ReplyError } from 'ioredis';
import { RedisUnavailableError } from '../../errors/errors';

/** What the caller chooses of a bounded connection; the rest is this class's. */
export type BoundedWaitOptions = Pick<RedisOptions, 'connectionName' | 'lazyConnect'>;

/**
 * An ioredis client for a process that answers clients (the API): no command waits for Redis
 * longer than `waitMs`, none waits in a queue for Redis to come back, and none is sent again
 * after a reconnection (its caller has been answered by then). A command that fails without a
 * reply from Redis (the connection is down, it dropped, or Redis did not answer in time) rejects
 * with {@link RedisUnavailableError}; Redis' own refusals (ReplyError: OOM, NOSCRIPT...) stay as
 * they are. The connection itself keeps reconnecting, so commands succeed again as soon as Redis
 * is back.
 *
 * What it relies on in ioredis 6.0.0 (test/bounded-wait-redis.e2e-spec.ts checks each): every
 * command, plain, scripted or in a MULTI, passes through `sendCommand`, and is settled through
 * its public `reject` whatever fails it (the offline check, `commandTimeout`, a dropped
 * connection).
 */
export class BoundedWaitRedis extends Redis {
  /** Retry-After of the 503 a failed command makes: about as long as a command may wait. */
  private readonly retryAfterSeconds: number;

  constructor(
    private readonly redisUrl: string,
    options: BoundedWaitOptions,
    private readonly waitMs: number,
  ) {
    super(redisUrl, {
      ...options,
      commandTimeout: waitMs,
      // While the connection is down a command fails at once, rather than wait to be sent later.
      enableOfflineQueue: false,
      // Commands in flight when the connection drops fail then, and are not sent again.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    });
    this.retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  }

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    typeFailures(command, { target: this.redisUrl, ready: () => this.status === 'ready', waitMs: this.waitMs, retryAfterSeconds: this.retryAfterSeconds });
    return super.sendCommand(command, stream);
  }
}

/**
 * Makes `command` reject with {@link RedisUnavailableError} whatever fails it without a reply from
 * Redis (offline, dropped, unanswered within `waitMs`); Redis' own refusals stay as they are.
 */
export function typeFailures(command: Command, how: { target: string; ready: () => boolean; waitMs: number; retryAfterSeconds: number }): void {
  const reject = command.reject;
  command.reject = (error: Error) =>
    reject(
      error instanceof ReplyError || error instanceof RedisUnavailableError
        ? error
        : new RedisUnavailableError(how.target, how.ready() ? `no answer within ${how.waitMs} ms` : 'the connection is down', {
            cause: error,
            retryAfterSeconds: how.retryAfterSeconds,
          }),
    );
}
