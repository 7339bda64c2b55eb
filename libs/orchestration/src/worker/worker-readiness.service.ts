import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { RedisConnections } from '../redis/redis-connections.service';
import { ShardRouter } from '../redis/shards';
import { AgentPresence } from '../registry/agent-presence.service';
import { currentWorker } from '../runtime/worker-identity';
import { CanaryResult, canaryQueueName, WorkerCanary } from './worker-canary';

/** How often a canary job goes round, and how long one may take before the round fails. */
export const CANARY_INTERVAL_MS = 2000;
export const CANARY_TIMEOUT_MS = 3000;

/** One check of a readiness report: `up`, or `down` with why. */
export type CheckResult = { status: 'up' } & Record<string, unknown>;
export type FailedCheck = { status: 'down'; message: string } & Record<string, unknown>;

/** What `GET /health/ready` answers: ready only when every check is up. */
export interface ReadinessReport {
  readonly status: 'ready' | 'not_ready';
  /** The names of the checks that are down. */
  readonly failed: string[];
  readonly checks: Record<'redis' | 'agents' | 'queues' | 'canary' | 'draining', CheckResult | FailedCheck>;
}

const up = (details: Record<string, unknown> = {}): CheckResult => ({ status: 'up', ...details });
const down = (message: string, details: Record<string, unknown> = {}): FailedCheck => ({ status: 'down', message, ...details });

/** What a readiness report is made of: the state of each check, as WorkerReadiness keeps it. */
export interface ReadinessState {
  /** The Redis connection's status as ioredis names it (`ready` when it takes commands). */
  readonly redisStatus: string;
  readonly registration: { registered: true; agents: number } | { registered: false; reason: string };
  readonly consuming: boolean;
  readonly draining: boolean;
  /** The last canary round over the current connection, if one finished. */
  readonly lastRound?: { readonly at: string; readonly results: readonly CanaryResult[] };
}

function canaryCheck(lastRound: ReadinessState['lastRound']): CheckResult | FailedCheck {
  if (!lastRound) return down('no canary job has come back yet over the current Redis connection');
  const shards = lastRound.results.map(({ tag, ok, roundTripMs, error }) => ({ shard: tag, ok, ...(ok ? { roundTripMs } : { error }) }));
  const failedShard = lastRound.results.find((r) => !r.ok);
  return failedShard
    ? down(`the canary job of shard ${failedShard.tag} did not come back: ${failedShard.error}`, { at: lastRound.at, shards })
    : up({ at: lastRound.at, shards });
}

/** The readiness report of a state: ready only when every check is up; `failed` names the others. */
export function readinessReport(state: ReadinessState): ReadinessReport {
  const { registration } = state;
  const checks: ReadinessReport['checks'] = {
    redis: state.redisStatus === 'ready' ? up() : down(`the Redis connection is ${state.redisStatus}`),
    agents: registration.registered ? up({ agents: registration.agents }) : down(registration.reason),
    queues: state.consuming ? up() : down('the BullMQ workers have not started yet'),
    canary: canaryCheck(state.lastRound),
    draining: state.draining ? down('the worker is draining (it got SIGTERM): it takes no new tasks') : up(),
  };
  const failed = Object.entries(checks)
    .filter(([, check]) => check.status === 'down')
    .map(([name]) => name);
  return { status: failed.length === 0 ? 'ready' : 'not_ready', failed, checks };
}

/**
 * Whether this worker process can take work (the readiness probe): Redis is connected, its
 * agents are in the registry, its BullMQ workers consume their queues, a canary job sent through
 * its own queue came back in the last round (see WorkerCanary), and it is not draining.
 */
@Injectable()
export class WorkerReadiness implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerReadiness.name);
  private readonly canary: WorkerCanary;
  private consuming = false;
  private draining = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private lastRound?: { at: string; results: CanaryResult[] };
  private wasReady = false;
  /** Counts the Redis connection's losses; a round is kept only if none happened while it ran. */
  private connection = 0;

  constructor(
    private readonly redis: RedisConnections,
    shards: ShardRouter,
    private readonly presence: AgentPresence,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {
    const { host, pid } = currentWorker();
    this.canary = new WorkerCanary(redis.client, canaryQueueName(host, pid), shards.tags);
  }

  onApplicationBootstrap(): void {
    // No probes to answer (SWITCHYARD_WORKER_HEALTH_PORT=off): no canary either.
    if (this.config.workerHealthPort === 'off') return;
    // A round that went through before the connection dropped proves nothing about it now: ready
    // again only after a canary came back over the new connection.
    this.redis.client.on('close', () => {
      this.connection += 1;
      this.lastRound = undefined;
    });
    this.canary.start();
    void this.loop();
  }

  /** WorkerHost calls this once its BullMQ workers are ready. */
  markConsuming(): void {
    this.consuming = true;
  }

  /** WorkerHost calls this when the process starts to drain (SIGTERM): not ready from now on. */
  markDraining(): void {
    this.draining = true;
  }

  report(now = Date.now()): ReadinessReport {
    return readinessReport({
      redisStatus: this.redis.client.status,
      registration: this.presence.registration(now),
      consuming: this.consuming,
      draining: this.draining,
      lastRound: this.lastRound,
    });
  }

  /** Canary rounds one after another, CANARY_INTERVAL_MS apart, each bounded by CANARY_TIMEOUT_MS. */
  private async loop(): Promise<void> {
    if (this.stopped) return;
    const connection = this.connection;
    const results = await this.canary.round(CANARY_TIMEOUT_MS);
    if (connection === this.connection) this.lastRound = { at: new Date().toISOString(), results };
    this.logChange();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.loop(), CANARY_INTERVAL_MS);
    this.timer.unref();
  }

  /** One log line each time the worker turns ready or not ready, naming what failed. */
  private logChange(): void {
    const report = this.report();
    const ready = report.status === 'ready';
    if (ready === this.wasReady) return;
    this.wasReady = ready;
    if (ready) this.logger.log('worker health: ready');
    else
      this.logger.warn(
        { failed: report.failed, checks: Object.fromEntries(report.failed.map((f) => [f, report.checks[f as keyof typeof report.checks]])) },
        'worker health: not ready',
      );
  }

  /** Draining: the canary stops, and its queues go while the Redis connection is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.canary.stop(this.config.redisWaitMs);
  }
}
