import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { Decomposition } from '../plans/decomposition';
import { LocalAgentPool } from '../agents/local-agent-pool';
import { InvalidAgentOutputError } from '../errors/errors';
import { PlanEnqueuer } from '../sessions/plan-enqueuer.service';
import { PlanningJobData } from '../plans/task-job';
import { contextFrom, inSpan, SpanKind } from '../tracing/tracing';
import { ShardTag } from '../redis/keys';
import { BudgetExceeded, budgetFailure } from '../sessions/budget';
import { currentWorker } from '../runtime/worker-identity';
import { SessionState } from '../state/session-state.service';
import { invokeAgent, RunContextParts } from './agent-invoker';
import { StepStore } from './step-store';
import { PlanProposal, PlanRepair } from '../plans/plan-proposal';
import type { RunnableAgent } from '../agents/agent-contract';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import type { PlanValidation } from '../plans/plan-validator';
import { SessionStore } from '../sessions/session.store';
import { DEFAULT_TENANT } from '../sessions/session.types';
import { SessionTerminator } from '../sessions/session-terminator.service';
import { failureInfo, isFinalAttempt } from '../errors/failure-info';
import { taskLogger } from './task-logger';
import { PLANNING_CAPABILITY, PLANNING_STEP_ID } from '../sessions/planning-capability';
import { SessionLogWriter } from '../log/session-log.writer';
import type { RunAbort } from '../runtime/run-abort';
import { RedisFaultRetry } from '../queues/redis-fault-retry.service';
import { RunStreams } from './run-streams.service';

/** The plan the planning step accepted: after how many rounds, and from which model (a model's plan). */
interface Accepted {
  readonly validation: Extract<PlanValidation, { ok: true }>;
  readonly rounds: number;
  readonly model?: string;
}

/** What the planning step's rounds share: its logger, its tenant and its delta and usage streams. */
interface PlanningRun {
  readonly log: RunContextParts['log'];
  readonly tenant: string;
  readonly streams: ReturnType<RunStreams['open']>;
}

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
    private readonly steps: StepStore,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
    private readonly streams: RunStreams,
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
      const log = () => taskLogger(this.log, tag, this.logger, { sessionId, taskId: PLANNING_STEP_ID, agentId: agentId! });
      const tenant = (await this.store.tenant(tag, sessionId)) || DEFAULT_TENANT;
      const over = (exceeded: BudgetExceeded) => this.terminator.fail(tag, sessionId, budgetFailure(exceeded), { abortRunning: true }).then(() => undefined);
      const streams = this.streams.open({ tag, sessionId, taskId: PLANNING_STEP_ID, attempt: job.attemptsMade + 1, tenant }, log, over);
      let accepted: Accepted;
      try {
        accepted = await this.propose(tag, job, lease.agent, { log, tenant, streams }, abort);
      } finally {
        lease.release();
        await Promise.all([streams.deltas.flushed(), streams.usage.flushed()]);
      }
      const { validation } = accepted;
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
        ...(accepted.model === undefined ? {} : { rounds: accepted.rounds, model: accepted.model }),
      });
      await this.store.transition(tag, sessionId, ['planning'], 'running');
      return { tasks: validation.graph.tasks.size };
    } catch (error) {
      return this.failed(tag, job, { agentId, startedAt }, error);
    }
  }

  /**
   * Runs the planner until its plan is valid (checked as a client's plan is). A plan from a model
   * ({@link PlanProposal}) that is invalid goes back to the planner with the validator's issues
   * (`input.repair`), up to SWITCHYARD_PLAN_REPAIR_ROUNDS times; then, or for any other planner
   * at once, the last issues fail the attempt.
   */
  private async propose(tag: ShardTag, job: Job<PlanningJobData>, agent: RunnableAgent, run: PlanningRun, abort?: RunAbort): Promise<Accepted> {
    const { sessionId, goal } = job.data;
    const agentId = agent.descriptor.id;
    const { deltas, usage } = run.streams;
    const parts: RunContextParts = {
      shared: await this.store.sharedContext(tag, sessionId),
      state: () => this.state.forAgent(tag, sessionId, agent.descriptor),
      log: run.log,
      worker: this.worker,
      tenant: run.tenant,
      step: this.steps.forTask({ tag, sessionId, taskId: PLANNING_STEP_ID }),
      emit: (text) => deltas.emit(text),
      recordUsage: (u) => usage.record(u),
    };
    let repair: PlanRepair | undefined;
    for (let round = 1; ; round++) {
      const run = { sessionId, taskId: PLANNING_STEP_ID, capabilities: [PLANNING_CAPABILITY], dependencies: {}, goal, attempt: job.attemptsMade + 1 };
      const proposal = await invokeAgent(agent, { ...run, input: repair ? { goal, repair } : { goal } }, parts, { abort });
      // A planner may answer with a plan, with the same tasks as subtasks (spawnSubtasks), or with a model's plan.
      const plan = proposal instanceof PlanProposal ? proposal.plan : proposal instanceof Decomposition ? { tasks: proposal.tasks } : proposal;
      const validation = await this.enqueuer.validateFresh(plan, 'plan');
      const model = proposal instanceof PlanProposal ? proposal.model : undefined;
      if (validation.ok) {
        if (model !== undefined) this.logPlanning(tag, sessionId, agentId, 'plan accepted', { round, model, plan: validation.plan });
        return { validation, rounds: round, model };
      }
      const issues = validation.issues.map((i) => ({ path: i.path, message: i.message }));
      const detail = `its plan is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
      if (model === undefined || round > this.config.models.planRepairRounds) throw new InvalidAgentOutputError(agentId, detail);
      this.logPlanning(tag, sessionId, agentId, 'plan invalid; handed back to the model to repair', { round, model, plan, issues });
      repair = { round, plan, issues };
    }
  }

  private logPlanning(tag: ShardTag, sessionId: string, agentId: string, message: string, context: Record<string, unknown>): void {
    this.log.write(tag, { level: 'info', source: 'orchestrator', sessionId, taskId: PLANNING_STEP_ID, agentId, message, context }, this.logger);
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
