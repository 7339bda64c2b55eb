import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { SWITCHYARD_CONFIG, SwitchyardConfigModule } from './config/config.module';
import { SwitchyardConfig } from './config/switchyard-config';
import { HOSTED_AGENTS, RunnableAgent } from './agents/agent-contract';
import { CapabilityCatalog } from './agents/capability-catalog.service';
import { LocalAgentPool } from './agents/local-agent-pool';
import { PlanEnqueuer } from './sessions/plan-enqueuer.service';
import { TemplateCatalog } from './plans/templates/template-catalog.service';
import { TaskQueues } from './queues/task-queues.service';
import { WorkerReadiness } from './worker/worker-readiness.service';
import { WorkerHealthServer } from './worker/worker-health.server';
import { FairShare } from './queues/fair-share.service';
import { TenantSlots } from './queues/tenant-slots.service';
import { WorkerHost } from './worker/worker-host.service';
import { RemoteAgentSync } from './worker/remote-agent-sync.service';
import { RemoteTaskBroker, remoteScripts } from './remote/remote-task-broker';
import { RemoteWork } from './remote/remote-work.service';
import { REMOTE_KEEP_MS, REMOTE_POLL_MS } from './remote/remote-timing';
import { RedisFaultRetry } from './queues/redis-fault-retry.service';
import { BOUNDED_REDIS_WAIT, RedisConnections } from './redis/redis-connections.service';
import { ShardRouter } from './redis/shards';
import { loadShardTags } from './redis/shard-tags';
import { SessionFinalizer } from './sessions/session-finalizer.service';
import { SessionLauncher } from './sessions/session-launcher.service';
import { SessionForker } from './sessions/session-forker.service';
import { IdempotencyStore } from './sessions/idempotency.store';
import { DeploymentSetup } from './deployment/deployment.service';
import { RedisThrottlerStorage } from './http/redis-throttler.storage';
import { SessionQueries } from './sessions/session-queries.service';
import { SessionIndex } from './sessions/session-index.store';
import { SessionCommands } from './sessions/session-commands.service';
import { SessionEvents } from './sessions/session-events.service';
import { ClusterHealth } from './health/cluster-health.service';
import { QueueDirectory } from './queues/queue-directory.service';
import { SessionStore } from './sessions/session.store';
import { SessionTerminator } from './sessions/session-terminator.service';
import { SessionRetention } from './sessions/session-retention.service';
import { PlanningRunner } from './engine/planning-runner.service';
import { SubtaskSpawner } from './engine/subtask-spawner.service';
import { TaskWaits } from './engine/wait-step.service';
import { TaskEngine } from './engine/task-engine.service';
import { TaskFetch } from './engine/fetch.service';
import { TaskDecode } from './engine/decode.service';
import { TaskExecute } from './engine/execute.service';
import { StepStore } from './engine/step-store';
import { RunStreams } from './engine/run-streams.service';
import { TaskWriteBack } from './engine/write-back.service';
import { WriteBackStore } from './engine/write-back.store';
import { HandOff } from './engine/hand-off';
import { WriteBackRecovery } from './engine/write-back-recovery.service';
import { TaskExceptions } from './engine/exception.service';
import { FailpointWriteBack } from './engine/failpoint-write-back';
import { FAILPOINTS, Failpoints, failpointsFromEnvironment } from './runtime/failpoint';
import { TracingLifecycle } from './tracing';
import { LOST_TASKS, LostTasks } from './sessions/lost-tasks';
import { SessionState } from './state/session-state.service';
import { StateLocks } from './state/state-locks.service';
import { RedisWriteBatcher } from './redis/write-batcher.service';
import { SessionLogWriter } from './log/session-log.writer';
import { SessionLogReader } from './log/session-log.reader';
import { MetricsRecorder } from './metrics/metrics.recorder';
import { ClusterMetrics, LIVE_AGENTS, LiveAgentsSource } from './metrics/cluster-metrics.service';
import { AgentDefinitionError } from './errors/errors';
import { AgentRegistry } from './registry/agent-registry.service';
import { AgentPresence } from './registry/agent-presence.service';
import { Admission } from './sessions/admission.service';
import { AgentDirectory } from './registry/agent-directory.service';
import { StreamTokens } from './auth/stream-tokens';
import { ShardMap } from './redis/shard-map.service';

/** What both the API and the worker processes are made of. */
const core = {
  imports: [SwitchyardConfigModule],
  providers: [
    RedisConnections,
    ShardMap,
    {
      // On a cluster the shard tags are the deployment's recorded ones (see shard-tags.ts): read
      // before anything that consumes or creates a session is built.
      provide: ShardRouter,
      inject: [SWITCHYARD_CONFIG, RedisConnections],
      useFactory: async (config: SwitchyardConfig, redis: RedisConnections) => {
        if (!redis.cluster) return new ShardRouter(config.prefix, config.shards);
        await redis.ready();
        return new ShardRouter(config.prefix, await loadShardTags(redis.client, config.prefix, config.shards));
      },
    },
    SessionStore,
    SessionState,
    StateLocks,
    TaskQueues,
    FairShare,
    TenantSlots,
    CapabilityCatalog,
    AgentRegistry,
    PlanEnqueuer,
    SessionTerminator,
    SessionRetention,
    RedisWriteBatcher,
    SessionLogWriter,
    MetricsRecorder,
    {
      provide: RemoteTaskBroker,
      inject: [RedisConnections, SWITCHYARD_CONFIG],
      useFactory: (redis: RedisConnections, config: SwitchyardConfig) =>
        new RemoteTaskBroker(remoteScripts(redis.client), {
          prefix: config.prefix,
          leaseMs: config.remoteLeaseMs,
          pollMs: REMOTE_POLL_MS,
          keepMs: REMOTE_KEEP_MS,
        }),
    },
  ],
} satisfies ModuleMetadata;

/** The orchestration services of the API process: start and read sessions. */
@Module({
  imports: core.imports,
  providers: [
    ...core.providers,
    // A request never waits for Redis longer than SWITCHYARD_REDIS_WAIT_MS per command: 503 instead.
    { provide: BOUNDED_REDIS_WAIT, useValue: true },
    Admission,
    AgentDirectory,
    RemoteWork,
    TemplateCatalog,
    IdempotencyStore,
    RedisThrottlerStorage,
    SessionLauncher,
    SessionForker,
    SessionQueries,
    SessionIndex,
    SessionCommands,
    SessionEvents,
    ClusterHealth,
    QueueDirectory,
    SessionLogReader,
    ClusterMetrics,
    DeploymentSetup,
    // Live agents on /metrics and /stats: active agents (hosted or remote), per capability they offer.
    {
      provide: LIVE_AGENTS,
      inject: [AgentDirectory],
      useFactory: (directory: AgentDirectory): LiveAgentsSource => ({
        description: 'active agents offering the capability (hosted by a worker, or remote)',
        perCapability: async () => Object.fromEntries((await directory.capabilities()).map((c) => [c.name, c.agents])),
      }),
    },
    // Traces (OTEL_EXPORTER_OTLP_ENDPOINT): started as the module is built, flushed at shutdown.
    { provide: TracingLifecycle, useFactory: () => new TracingLifecycle('api') },
    {
      provide: StreamTokens,
      inject: [RedisConnections, SessionQueries, SWITCHYARD_CONFIG],
      useFactory: (redis: RedisConnections, sessions: SessionQueries, config: SwitchyardConfig) =>
        new StreamTokens(redis.client, sessions, { prefix: config.prefix, ttlSeconds: config.streamTokenTtlSeconds }),
    },
  ],
  exports: [
    SessionLauncher,
    SessionForker,
    SessionQueries,
    SessionCommands,
    SessionEvents,
    ClusterHealth,
    QueueDirectory,
    CapabilityCatalog,
    TemplateCatalog,
    RedisConnections,
    RedisThrottlerStorage,
    SessionState,
    SessionLogReader,
    ClusterMetrics,
    MetricsRecorder,
    AgentRegistry,
    AgentDirectory,
    DeploymentSetup,
    StreamTokens,
    RemoteWork,
  ],
})
export class OrchestrationApiModule {}

/** The hosted agents, less those SWITCHYARD_AGENTS leaves out (it names agent types). */
function hostedSubset(agents: readonly RunnableAgent[], types: readonly string[], cap = 0): RunnableAgent[] {
  if (cap > 0)
    return hostedSubset(
      agents.map((a) => capped(a, cap)),
      types,
    );
  if (types.length === 0) return [...agents];
  const known = new Set(agents.map((a) => a.descriptor.type));
  const unknown = types.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new AgentDefinitionError(`SWITCHYARD_AGENTS names agent types this worker does not have: ${unknown.join(', ')} (it has ${[...known].join(', ')})`);
  }
  return agents.filter((a) => types.includes(a.descriptor.type));
}

/** `agent` taking at most `cap` tasks at once (SWITCHYARD_AGENT_CONCURRENCY). */
function capped(agent: RunnableAgent, cap: number): RunnableAgent {
  if (agent.descriptor.concurrency <= cap) return agent;
  return { descriptor: { ...agent.descriptor, concurrency: cap }, run: (task, context) => agent.run(task, context) };
}

export interface WorkerModuleOptions {
  /** A module that exports {@link HOSTED_AGENTS}: the agents this worker process runs. */
  readonly agents: DynamicModule;
  /**
   * The engine's crash points, for tests of recovery. Unset: those `SWITCHYARD_FAILPOINT` arms
   * (read once, here), which outside such tests is none.
   */
  readonly failpoints?: Failpoints;
}

/** The orchestration services of a worker process: consume queues and run hosted agents. */
@Module({})
export class OrchestrationWorkerModule {
  static register(options: WorkerModuleOptions): DynamicModule {
    return {
      module: OrchestrationWorkerModule,
      imports: [...core.imports, options.agents],
      providers: [
        ...core.providers,
        {
          provide: LocalAgentPool,
          inject: [HOSTED_AGENTS, CapabilityCatalog, AgentRegistry, SWITCHYARD_CONFIG],
          useFactory: (agents: RunnableAgent[], catalog: CapabilityCatalog, registry: AgentRegistry, config: SwitchyardConfig) =>
            new LocalAgentPool(hostedSubset(agents, config.hostedAgentTypes, config.agentConcurrency), {
              policy: () => catalog.policy(),
              onLoad: (agentId, delta) => registry.countLoad(agentId, delta),
            }),
        },
        AgentPresence,
        RedisFaultRetry,
        WriteBackStore,
        // The hand-off's connection is its own (see HandOff.connect).
        { provide: HandOff, inject: [RedisConnections, SWITCHYARD_CONFIG], useFactory: HandOff.connect },
        { provide: TracingLifecycle, useFactory: () => new TracingLifecycle('worker') },
        { provide: FAILPOINTS, useValue: options.failpoints ?? failpointsFromEnvironment(process.env) },
        {
          // Tests of recovery arm a failpoint in the write-back; every other worker has the plain one.
          provide: TaskWriteBack,
          inject: [FAILPOINTS, SessionStore, WriteBackStore, HandOff, TaskQueues, SessionTerminator, SessionLogWriter, SWITCHYARD_CONFIG],
          useFactory: (failpoints: Failpoints, ...steps: ConstructorParameters<typeof TaskWriteBack>) =>
            FailpointWriteBack.needed(failpoints) ? new FailpointWriteBack(...steps).withFailpoints(failpoints) : new TaskWriteBack(...steps),
        },
        WriteBackRecovery,
        TaskExceptions,
        SubtaskSpawner,
        TaskWaits,
        TaskFetch,
        TaskDecode,
        RunStreams,
        TaskExecute,
        StepStore,
        TaskEngine,
        {
          provide: LOST_TASKS,
          inject: [WriteBackRecovery, TaskExceptions],
          useFactory: (recovery: WriteBackRecovery, exceptions: TaskExceptions): LostTasks => ({
            recoverFromJobs: (tag, sessionId, taskIds) => recovery.recoverFromJobs(tag, sessionId, taskIds),
            endFailedJobs: (tag, sessionId) => exceptions.endFailedJobs(tag, sessionId),
          }),
        },
        PlanningRunner,
        SessionFinalizer,
        WorkerReadiness,
        WorkerHealthServer,
        WorkerHost,
        RemoteAgentSync,
      ],
      exports: [WorkerHost, LocalAgentPool, MetricsRecorder, SessionLogWriter],
    };
  }
}
