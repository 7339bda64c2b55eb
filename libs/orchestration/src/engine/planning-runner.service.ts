import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { Decomposition } from '../plans/decomposition';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { InvalidAgentOutputError } from '../errors/errors';
import { PlanEnqueuer } from '../sessions/plan-enqueuer.service';
import { PlanningJobData } from '../plans/task-job';
import { contextFrom, inSpan, SpanKind } from '../tracing/tracing';
import { ShardTag } from '../redis/keys';
import { currentWorker } from '../runtime/worker-identity';
import { SessionState } from '../state/session-state.service';
import { invokeAgent } from './agent-invoker';
import { SessionStore } from '../sessions/session.store';
import { DEFAULT_TENANT } from '../sessions/session.types';
import { SessionTerminator } from '../sessions/session-terminator.service';
import { failureInfo, isFinalAttempt } from '../errors/failure-info';
import { taskLogger } from './task-logger';
import { PLANNING_CAPABILITY, PLANNING_STEP_ID } from '../sessions/planning-capability';
import { SessionLogWriter } from '../log/session-log.writer';
import type { RunAbort } from '../runtime/run-abort';
import { RedisFaultRetry } from '../queues/redis-fault-retry.service';

/**
 * Turns a session's goal into its plan: a hosted planner agent (capability `task_decomposition`)
 * proposes one, it is validated like any plan from a client, and enqueued as the session's flow.
 */
@Injectable()
export class PlanningRunner {
  private readonly logger = new Logger(PlanningRunner.name);
  private readonly worker = currentWorker();

  constructor(
    private readonly store: SessionStore,
    private readonly state: SessionState,
    private readonly enqueuer: PlanEnqueuer,
    private readonly terminator: SessionTerminator,
    @Inject(LocalAgentPool) private readonly pool: LocalAgentPool,
    private readonly log: SessionLogWriter,
    private readonly redisFaults: RedisFaultRetry,
  ) {}

  /** Runs the session's planner on its goal (in a span of the session's trace, traces on). */
  plan(tag: ShardTag, job: Job<PlanningJobData>, abort?: RunAbort): Promise<unknown> {
    const attributes = { 'switchyard.session.id': job.data.sessionId, 'switchyard.attempt': job.attemptsMade + 1 };
    return inSpan('plan', { parent: contextFrom(job.data.trace), kind: SpanKind.CONSUMER, attributes }, () => this.planned(tag, job, abort));
  }

  private async planned(tag: ShardTag, job: Job<PlanningJobData>, abort?: RunAbort): Promise<unknown> {
    const { sessionId, goal } = job.data;
    const moved = await this.store.transition(tag, sessionId, ['pending', 'planning'], 'planning', {
      startedAt: new Date().toISOString(),
    });
    if (!moved) return null; // cancelled, failed or already planned: nothing to do
    let agentId: string | undefined;
    const startedAt = new Date().toISOString();
    try {
      const lease = this.pool.acquire(PLANNING_STEP_ID, { capabilities: [PLANNING_CAPABILITY] });
      agentId = lease.agent.descriptor.id;
      await this.store.setPlanning(tag, sessionId, { status: 'running', agentId, worker: this.worker, startedAt });
      this.log.write(
        tag,
        { level: 'info', source: 'orchestrator', sessionId, taskId: PLANNING_STEP_ID, agentId, message: 'planning started', context: { goal } },
        this.logger,
      );
      let proposal: unknown;
      try {
        proposal = await invokeAgent(
          lease.agent,
          {
            sessionId,
            taskId: PLANNING_STEP_ID,
            capabilities: [PLANNING_CAPABILITY],
            input: { goal },
            dependencies: {},
            goal,
            attempt: job.attemptsMade + 1,
          },
          {
            shared: await this.store.sharedContext(tag, sessionId),
            state: () => this.state.forAgent(tag, sessionId, lease.agent.descriptor),
            log: () => taskLogger(this.log, tag, this.logger, { sessionId, taskId: PLANNING_STEP_ID, agentId: agentId! }),
            worker: this.worker,
            tenant: (await this.store.tenant(tag, sessionId)) || DEFAULT_TENANT,
          },
          { abort },
        );
      } finally {
        lease.release();
      }
      // A planner may answer with a plan, or with the same tasks as subtasks (spawnSubtasks).
      const validation = await this.enqueuer.validateFresh(proposal instanceof Decomposition ? { tasks: proposal.tasks } : proposal, 'plan');
      if (!validation.ok) {
        throw new InvalidAgentOutputError(agentId, `its plan is invalid: ${validation.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      }
      // A session cancelled while its planner worked gets no flow.
      if ((await this.store.status(tag, sessionId)) !== 'planning') return null;
      this.log.write(
        tag,
        { level: 'info', source: 'orchestrator', sessionId, agentId, message: 'plan validated; enqueuing it', context: { tasks: validation.graph.tasks.size } },
        this.logger,
      );
      await this.log.flush(); // written before the flow's tasks can start and log
      await this.enqueuer.enqueue(tag, sessionId, validation.plan, validation.graph);
      await this.store.setPlanning(tag, sessionId, {
        status: 'completed',
        agentId,
        worker: this.worker,
        startedAt,
        finishedAt: new Date().toISOString(),
      });
      await this.store.transition(tag, sessionId, ['planning'], 'running');
      return { tasks: validation.graph.tasks.size };
    } catch (error) {
      return this.failed(tag, job, { agentId, startedAt }, error);
    }
  }

  /** A planning attempt failed: retried while attempts remain, else the session fails. Always throws. */
  private async failed(tag: ShardTag, job: Job<PlanningJobData>, run: { agentId?: string; startedAt: string }, error: unknown): Promise<never> {
    const { sessionId } = job.data;
    const { agentId, startedAt } = run;
    // Redis's failure, not the planner's: the job waits for Redis (see RedisFaultRetry, in WorkerHost).
    if (this.redisFaults.waits(job, error)) throw error;
    const final = isFinalAttempt(job, error);
    const info = failureInfo(error);
    await this.store.setPlanning(tag, sessionId, {
      status: final ? 'failed' : 'ready',
      agentId,
      worker: this.worker,
      startedAt,
      finishedAt: final ? new Date().toISOString() : undefined,
      error: info,
    });
    this.log.write(
      tag,
      {
        level: final ? 'error' : 'warn',
        source: 'orchestrator',
        sessionId,
        taskId: PLANNING_STEP_ID,
        agentId,
        message: final ? 'planning failed' : 'planning attempt failed; it will be retried',
        context: { attempt: job.attemptsMade + 1, error: info.message },
      },
      this.logger,
    );
    if (!final) throw error;
    await this.terminator.fail(tag, sessionId, { ...info, message: `Planning failed: ${info.message}` });
    throw new UnrecoverableError(info.message);
  }
}
