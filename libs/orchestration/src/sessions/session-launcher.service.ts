import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FlowJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { SessionNotFoundError, ValidationFailedError } from '../errors/errors';
import { PlanEnqueuer } from './plan-enqueuer.service';
import { PlanValidation } from '../plans/plan-validator';
import { PlanningJobData } from '../plans/task-job';
import { currentTraceCarrier } from '../tracing/tracing';
import { TemplateCatalog } from '../plans/templates/template-catalog.service';
import { jobIds, ShardTag } from '../redis/keys';
import { ShardRouter } from '../redis/shards';
import { TaskQueues } from '../queues/task-queues.service';
import { OrchestrateAccepted, OrchestrateRequest } from './orchestrate-request.schema';
import { PLANNING_CAPABILITY } from './planning-capability';
import { NewSession, SessionStore } from './session.store';
import { DEFAULT_TENANT } from './session.types';
import { CLAIM_TTL_SECONDS, IdempotencyStore } from './idempotency.store';
import { SessionLogWriter } from '../log/session-log.writer';
import { SessionIndex } from './session-index.store';
import { NewLogEntry } from '../log/log-entry';

/** A plan that passed validation. */
type ValidPlan = Extract<PlanValidation, { ok: true }>;

/** The session's first log entries (and its key's confirmation), given the entry that follows "accepted". */
type FirstWrites = (next: NewLogEntry) => (client: Redis) => Promise<unknown>[];

/**
 * Starts sessions: from a goal (a planning job for a planner agent), or from an explicit plan
 * or a template's plan (validated whole, then enqueued as a flow). A start that fails leaves
 * nothing in Redis.
 */
@Injectable()
export class SessionLauncher {
  private readonly logger = new Logger(SessionLauncher.name);

  constructor(
    private readonly shards: ShardRouter,
    private readonly store: SessionStore,
    private readonly queues: TaskQueues,
    private readonly enqueuer: PlanEnqueuer,
    private readonly templates: TemplateCatalog,
    private readonly idempotency: IdempotencyStore,
    private readonly log: SessionLogWriter,
    private readonly index: SessionIndex,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  /**
   * With an `idempotencyKey`, a repeat of a request that already started a session answers with
   * that session (and its current status) instead of starting another.
   */
  async start(request: OrchestrateRequest, options: { tenant?: string; idempotencyKey?: string } = {}): Promise<OrchestrateAccepted> {
    const tenant = options.tenant ?? DEFAULT_TENANT;
    const validation = await this.validate(request);
    const { idempotencyKey } = options;
    const sessionId = this.shards.newSessionId(idempotencyKey === undefined ? undefined : this.idempotency.shardOf(tenant, idempotencyKey));
    const tag = this.shards.tagOf(sessionId)!;
    let requestDigest: string | undefined;
    if (idempotencyKey !== undefined) {
      const claim = await this.claimOrReplay(tenant, idempotencyKey, request, sessionId);
      if ('replayed' in claim) return claim.replayed;
      requestDigest = claim.requestDigest;
    }
    const session: NewSession = {
      id: sessionId,
      tenant,
      goal: request.goal,
      template: request.template?.name,
      context: request.context ?? {},
      budget: request.budget,
    };
    const accepted = this.acceptedEntry(request, validation, sessionId);
    // The session's first log entries go into the transaction that writes it, behind its record:
    // its log exists with it (and goes with it should the start fail), before any job can run. So
    // does its Idempotency-Key's confirmation: a start Redis refuses leaves the key unconfirmed.
    const firstWrites = (next: NewLogEntry) => (client: Redis) => [
      ...this.log.sendWith(client, tag, accepted, true),
      ...this.log.sendWith(client, tag, next, false),
      ...(idempotencyKey !== undefined ? this.idempotency.sendConfirm(client, tenant, idempotencyKey, requestDigest!, sessionId) : []),
    ];
    this.log.mirror(accepted, this.logger);
    try {
      if (validation?.ok) await this.enqueuePlan(tag, session, validation, firstWrites);
      else await this.enqueueGoal(tag, session, request, firstWrites);
    } catch (error) {
      await this.undoStart(tag, session, validation, idempotencyKey);
      throw error;
    }
    // Housekeeping of the session list, off the request's path: a failure costs nothing but a
    // later try (the next start or list does the same).
    this.index.trim(tag, tenant).catch((error: Error) => this.logger.debug({ error: error.message }, 'the session index could not be trimmed'));
    return { sessionId, status: 'pending' };
  }

  /** The request's plan (explicit or a template's), validated whole; undefined for a goal. */
  private async validate(request: OrchestrateRequest): Promise<ValidPlan | undefined> {
    const validation =
      request.plan !== undefined
        ? await this.enqueuer.validateFresh(request.plan)
        : request.template !== undefined
          ? await this.enqueuer.validateFresh(this.templates.build(request.template.name, request.template.params), 'template.plan')
          : undefined;
    if (validation && !validation.ok) throw new ValidationFailedError(validation.issues, 'The plan is invalid');
    return validation;
  }

  /** Claims the Idempotency-Key for `sessionId`, or answers the session an earlier request with it started. */
  private async claimOrReplay(
    tenant: string,
    idempotencyKey: string,
    request: OrchestrateRequest,
    sessionId: string,
  ): Promise<{ readonly requestDigest: string } | { readonly replayed: OrchestrateAccepted }> {
    const claim = await this.idempotency.claim(tenant, idempotencyKey, request, sessionId);
    if (claim.claimed) return { requestDigest: claim.request };
    const status = await this.store.status(this.shards.tagOf(claim.sessionId)!, claim.sessionId);
    // An expired session keeps its id for the key's lifetime; say it is gone rather than pending.
    if (status === undefined) throw new SessionNotFoundError(claim.sessionId);
    this.logger.log({ sessionId: claim.sessionId }, 'session replayed for its Idempotency-Key');
    return { replayed: { sessionId: claim.sessionId, status, replayed: true } };
  }

  /** The session's first log entry: where it came from (a goal, a plan or a template). */
  private acceptedEntry(request: OrchestrateRequest, validation: ValidPlan | undefined, sessionId: string): NewLogEntry {
    const from = request.template ? 'template' : validation ? 'plan' : 'goal';
    return {
      level: 'info',
      source: 'orchestrator',
      sessionId,
      message: 'session accepted',
      context: { from, ...(request.template ? { template: request.template.name } : {}) },
    };
  }

  /** The session, its first log entries, its plan's bookkeeping and its flow: one transaction. */
  private async enqueuePlan(tag: ShardTag, session: NewSession, validation: ValidPlan, firstWrites: FirstWrites): Promise<void> {
    const validated: NewLogEntry = {
      level: 'info',
      source: 'orchestrator',
      sessionId: session.id,
      message: 'plan validated; enqueuing it',
      context: { tasks: validation.graph.tasks.size },
    };
    await this.enqueuer.start(tag, session, validation.plan, validation.graph, firstWrites(validated));
  }

  /** The session, its first log entries and its planning job: one transaction. */
  private async enqueueGoal(tag: ShardTag, session: NewSession, request: OrchestrateRequest, firstWrites: FirstWrites): Promise<void> {
    const sessionId = session.id;
    const queued: NewLogEntry = {
      level: 'info',
      source: 'orchestrator',
      sessionId,
      message: 'goal queued for a planner agent',
      context: { goal: request.goal },
    };
    const trace = currentTraceCarrier();
    const data: PlanningJobData = { type: 'plan', sessionId, goal: request.goal!, ...(trace ? { trace } : {}) };
    const planning: FlowJob = {
      name: 'plan',
      queueName: PLANNING_CAPABILITY,
      prefix: tag,
      data,
      opts: {
        jobId: jobIds.plan(sessionId),
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: this.config.retentionSeconds },
        removeOnFail: { age: this.config.retentionSeconds },
      },
    };
    await this.queues.addFlows([planning], (client) => [...this.store.sendCreate(client, tag, session), ...firstWrites(queued)(client)]);
  }

  /**
   * Removes what a failed start may have left and releases its Idempotency-Key. The start's own
   * error is the one to report: should a clean-up step fail too (Redis away, or still out of
   * memory), it is logged. The key's release does not wait on the removal: a claim neither
   * released nor confirmed expires in CLAIM_TTL_SECONDS all the same.
   */
  private async undoStart(tag: ShardTag, session: NewSession, validation: ValidPlan | undefined, idempotencyKey: string | undefined): Promise<void> {
    const sessionId = session.id;
    const [discarded, released] = await Promise.allSettled([
      this.store.discard(tag, sessionId, session.tenant, validation?.ok ? validation.graph.tasks.keys() : []),
      idempotencyKey !== undefined ? this.idempotency.release(session.tenant, idempotencyKey, sessionId) : undefined,
    ]);
    if (discarded.status === 'rejected') {
      this.logger.warn({ sessionId, error: (discarded.reason as Error).message }, 'the session whose start failed could not be removed');
    }
    if (released.status === 'rejected') {
      this.logger.warn(
        { sessionId, error: (released.reason as Error).message },
        `its Idempotency-Key could not be released; it is free again within ${CLAIM_TTL_SECONDS} s`,
      );
    }
  }
}
