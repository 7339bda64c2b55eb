import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { RedisConnections } from '../redis/redis-connections.service';
import { Redis } from 'ioredis';
import { SessionCancelledError } from '../errors/errors';
import { jobIds, keys, SESSION_QUEUE, ShardTag, WAIT_QUEUE } from '../redis/keys';
import { SessionLogWriter } from '../log/session-log.writer';
import { MetricsRecorder } from '../metrics/metrics.recorder';
import { ShardRouter } from '../redis/shards';
import { CapabilityJobData, SessionJobData, TaskJobData } from '../plans/task-job';
import { TaskEngine } from '../engine/task-engine.service';
import { PlanningRunner } from '../engine/planning-runner.service';
import { SessionFinalizer } from '../sessions/session-finalizer.service';
import { AgentPresence } from '../registry/agent-presence.service';
import { RunAbort } from '../runtime/run-abort';
import { RedisFaultRetry } from '../queues/redis-fault-retry.service';
import { WorkerReadiness } from './worker-readiness.service';
import { TenantSlots } from '../queues/tenant-slots.service';

/** How many wait steps (of `wait` and `signal` tasks) one worker process takes at once. */
const WAIT_CONCURRENCY = 8;

/** How many session root jobs one worker process finalises at once. */
const FINALIZER_CONCURRENCY = 8;

/**
 * The queue plumbing of a worker process: one BullMQ Worker per capability its agents have, in
 * every shard, plus the session queue. Processors only unpack the job and call one service.
 * On shutdown the workers stop taking jobs and wait for running ones (bounded by
 * SWITCHYARD_SHUTDOWN_TIMEOUT_MS); jobs still running after that are left to BullMQ's stalled
 * check, which gives them to another worker.
 */
@Injectable()
export class WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerHost.name);
  private readonly workers: Worker[] = [];
  /** The BullMQ Worker of each capability queue, to pause the ones no agent here takes any more. */
  private readonly byCapability = new Map<string, Worker[]>();
  /**
   * Jobs running in this process: a forced shutdown hands them back at once, and a cancelled
   * session's running tasks are aborted through `cancel`.
   */
  private readonly running = new Map<string, { job: Job; token?: string; cancel: (reason: Error) => void }>();
  private subscriber?: Redis;

  constructor(
    private readonly redis: RedisConnections,
    private readonly shards: ShardRouter,
    private readonly engine: TaskEngine,
    private readonly planner: PlanningRunner,
    private readonly finalizer: SessionFinalizer,
    @Inject(LocalAgentPool) private readonly pool: LocalAgentPool,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
    private readonly log: SessionLogWriter,
    private readonly metrics: MetricsRecorder,
    private readonly presence: AgentPresence,
    private readonly redisFaults: RedisFaultRetry,
    private readonly readiness: WorkerReadiness,
    private readonly slots: TenantSlots,
  ) {}

  /** The queues this process consumes in each shard. */
  get queueNames(): string[] {
    return [...this.pool.capabilities(), SESSION_QUEUE, WAIT_QUEUE];
  }

  async onApplicationBootstrap(): Promise<void> {
    // In the registry before the first job is taken, so routing and admission see the agents.
    await this.presence.start(() => this.pauseUntaken());
    for (const capability of this.pool.capabilities()) this.consume(capability);
    for (const tag of this.shards.tags) {
      this.start(tag, SESSION_QUEUE, FINALIZER_CONCURRENCY, (job, token) => this.finalizer.finalize(tag, job as Job<SessionJobData>, token));
      // Waits and signals: each job is one short step (its wait is spent in the delayed set).
      this.start(tag, WAIT_QUEUE, WAIT_CONCURRENCY, (job, token, abort) => this.engine.execute(tag, job as Job<TaskJobData>, token, abort));
    }
    await this.listenForCancellations();
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.readiness.markConsuming();
    this.logger.log({ queues: this.queueNames, shards: this.shards.count, agents: this.pool.agents.map((a) => a.descriptor.id) }, 'worker ready');
  }

  /**
   * Pulls a capability's queue in every shard, with the concurrency of the agents here that have
   * it (again, if it was paused); for remote agents' capabilities, as they come and go.
   */
  consume(capability: string): void {
    const concurrency = Math.max(1, this.pool.concurrencyFor(capability));
    const running = this.byCapability.get(capability);
    if (running) {
      for (const worker of running) {
        worker.concurrency = concurrency;
        if (worker.isPaused()) void worker.resume().catch(() => undefined);
      }
      return;
    }
    const workers = this.shards.tags.map((tag) =>
      this.start(tag, capability, concurrency, (job, token, abort) => this.processCapabilityJob(tag, job as Job<CapabilityJobData>, token, abort)),
    );
    this.byCapability.set(capability, workers);
  }

  /**
   * Stops pulling the queues of capabilities no agent here takes any more (unregistered over
   * REST, or a remote agent gone silent); their running tasks finish.
   */
  pauseUntaken(): void {
    for (const [capability, workers] of this.byCapability) {
      // Paused already: said once.
      if (this.pool.takes(capability) || workers.every((worker) => worker.isPaused())) continue;
      this.logger.warn({ capability }, 'no agent here takes this capability any more: its queue is no longer pulled');
      for (const worker of workers) void worker.pause(true).catch(() => undefined);
    }
  }

  /** Aborts the running tasks of sessions cancelled anywhere (the API publishes their ids). */
  private async listenForCancellations(): Promise<void> {
    this.subscriber = this.redis.duplicate('cancellations');
    this.subscriber.on('message', (_channel: string, sessionId: string) => {
      for (const { job, cancel } of this.running.values()) {
        if ((job.data as { sessionId?: string }).sessionId === sessionId) cancel(new SessionCancelledError(sessionId));
      }
    });
    await this.subscriber.subscribe(...this.shards.tags.map((tag) => keys.cancellations(tag)));
  }

  private processCapabilityJob(tag: ShardTag, job: Job<CapabilityJobData>, token: string | undefined, abort: RunAbort) {
    const data = job.data;
    if (data.type === 'plan') return this.planner.plan(tag, job as Job<typeof data>, abort);
    // A task runs while it holds one of its tenant's slots (SWITCHYARD_TENANT_MAX_RUNNING).
    const task = job as Job<typeof data>;
    return this.slots.run(tag, task, token, () => this.engine.execute(tag, task, token, abort));
  }

  private start(
    tag: ShardTag,
    queue: string,
    concurrency: number,
    processor: (job: Job, token: string | undefined, abort: RunAbort) => Promise<unknown>,
  ): Worker {
    // Each run gets a RunAbort, whose AbortSignal is made only if its agent reads it: that is how a
    // cancelled session's tasks are stopped. The processor takes two arguments, so BullMQ makes
    // no AbortController of its own for every job (see RunAbort).
    const tracked = async (job: Job, token?: string) => {
      const key = `${tag}/${queue}/${job.id}`;
      const abort = new RunAbort();
      this.running.set(key, { job, token, cancel: (reason) => abort.abort(reason) });
      try {
        const result = await processor(job, token, abort);
        this.redisFaults.cleared(job);
        return result;
      } catch (error) {
        // Redis refused the job's work (out of memory, say): not the job's failure, so it waits
        // for Redis without spending an attempt.
        if (this.redisFaults.waits(job, error)) return await this.redisFaults.defer(job, token, error);
        this.redisFaults.cleared(job);
        throw error;
      } finally {
        this.running.delete(key);
      }
    };
    const worker = new Worker(queue, tracked, {
      connection: this.redis.client,
      prefix: tag,
      concurrency,
      // A dead worker's jobs go back to the queue once their lock lapses and the stalled check runs.
      lockDuration: this.config.lockDurationMs,
      stalledInterval: this.config.lockDurationMs,
    });
    worker.on('error', (error) => this.logger.error({ queue, error: error.message }, 'queue worker error'));
    // A child that failed for good is recorded in its parent's `:unsuccessful` / `:failed` keys
    // after its session may have been given its time to live (the session fails first): give
    // them the retention too, so nothing of the session stays in Redis for ever.
    worker.on('failed', (job) => {
      if (!job?.parentKey) return;
      for (const suffix of [':unsuccessful', ':failed'])
        void this.redis.client.expire(job.parentKey + suffix, this.config.retentionSeconds).catch(() => undefined);
    });
    worker.on('stalled', (jobId) => {
      this.metrics.jobStalled(tag, queue);
      const ids = jobIds.parse(jobId);
      const message = 'job stalled: its worker stopped renewing its lock (it died or hung); it runs again';
      if (ids) this.log.write(tag, { level: 'warn', source: 'system', ...ids, message, context: { queue, jobId } }, this.logger);
      else this.logger.warn({ queue, jobId }, message);
    });
    this.workers.push(worker);
    return worker;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.readiness.markDraining();
    this.logger.log({ signal, running: this.running.size }, 'worker stopping: finishing running tasks');
    await this.presence.drain();
    let timer: NodeJS.Timeout | undefined;
    const graceful = Promise.all(this.workers.map((w) => w.close())).then(() => true);
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.config.shutdownTimeoutMs);
    });
    const finished = await Promise.race([graceful, deadline]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn(
        { timeoutMs: this.config.shutdownTimeoutMs, jobs: [...this.running.keys()] },
        'running tasks did not finish in time; giving them back to their queues',
      );
      for (const [key, { job }] of this.running) {
        const ids = jobIds.parse(job.id ?? '');
        const tag = key.slice(0, key.indexOf('/')) as ShardTag;
        if (ids) {
          this.log.write(tag, {
            level: 'warn',
            source: 'system',
            ...ids,
            message: 'worker shutting down: the running task did not finish in time and goes back to its queue',
            context: { queue: job.queueName, timeoutMs: this.config.shutdownTimeoutMs },
          });
        }
      }
      await this.log.flush(); // written before the jobs go back and another worker picks them up
      await Promise.all([...this.running.values()].map(({ job, token }) => job.moveToWait(token).catch(() => undefined)));
      await Promise.all(this.workers.map((w) => w.close(true)));
    }
    await this.subscriber?.unsubscribe();
    await this.presence.stop();
    this.logger.log('worker stopped');
  }
}
