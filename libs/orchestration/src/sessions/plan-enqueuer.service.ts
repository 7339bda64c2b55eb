import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { jobIds, SESSION_QUEUE, ShardTag } from '../redis/keys';
import { TaskQueues } from '../queues/task-queues.service';
import { FairShare } from '../queues/fair-share.service';
import { NewSession, SessionStore } from './session.store';
import { buildSessionFlow, taskDefaultsFor } from '../plans/flow-builder';
import { Plan } from '../plans/plan.schema';
import { PlanGraph } from '../plans/plan-graph';
import { DEFAULT_PLAN_LIMITS, PlanValidation, validatePlan } from '../plans/plan-validator';

/** Validates plans against this deployment's catalog and limits, and enqueues them as flows. */
@Injectable()
export class PlanEnqueuer {
  constructor(
    private readonly store: SessionStore,
    private readonly queues: TaskQueues,
    private readonly fairShare: FairShare,
    private readonly catalog: CapabilityCatalog,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {}

  validate(raw: unknown, basePath = 'plan'): PlanValidation {
    return validatePlan(
      raw,
      this.catalog.names(),
      { ...DEFAULT_PLAN_LIMITS, maxTasks: this.config.maxPlanTasks, maxDepth: this.config.maxPlanDepth },
      basePath,
    );
  }

  /**
   * {@link validate}, and if the plan fails, once more after reading the custom capabilities
   * again: another process may have added the one it names.
   */
  async validateFresh(raw: unknown, basePath = 'plan'): Promise<PlanValidation> {
    const first = this.validate(raw, basePath);
    if (first.ok) return first;
    await this.catalog.refresh();
    return this.validate(raw, basePath);
  }

  /**
   * Starts a session with its plan in one MULTI: the session's record ({@link SessionStore.create}),
   * the plan's bookkeeping and its flows, where it took three round trips one after the other.
   * Redis gets all of it at once, and a command it refuses as it is queued (out of memory, say)
   * aborts the whole. `log` sends the session's first log entries in it, after the record; `after`
   * sends more after the plan's bookkeeping, before the flows (a fork's reused tasks). If it fails,
   * the caller discards the session (SessionStore.discard).
   */
  async start(
    tag: ShardTag,
    session: NewSession,
    plan: Plan,
    graph: PlanGraph,
    log?: (client: Redis) => Promise<unknown>[],
    after?: (client: Redis) => Promise<unknown>[],
  ): Promise<void> {
    const flows = buildSessionFlow(session.id, tag, graph, this.taskDefaults());
    await this.fairShare.apply(session.tenant, flows);
    await this.queues.addFlows(flows, (client) => [
      ...this.store.sendCreate(client, tag, session),
      ...(log?.(client) ?? []),
      ...this.store.sendAttach(client, tag, session.id, graph, { plan }, true),
      ...(after?.(client) ?? []),
    ]);
  }

  private taskDefaults() {
    return taskDefaultsFor(this.config.retentionSeconds, this.config.lockDurationMs);
  }

  /**
   * Writes the plan's bookkeeping, then adds its flows in one step. If either fails, the
   * bookkeeping is removed again, so no half-made plan stays behind. A session whose flows are in
   * already (a planning job that enqueued them, then met Redis's refusal, runs again) is left as
   * it is: its flows went in all at once, with its root job.
   */
  async enqueue(tag: ShardTag, sessionId: string, plan: Plan, graph: PlanGraph): Promise<void> {
    if ((await this.queues.queue(tag, SESSION_QUEUE).getJobState(jobIds.root(sessionId))) !== 'unknown') return;
    try {
      // The bookkeeping goes out in batches: a failure can leave some of them written.
      await this.store.attachPlan(tag, sessionId, graph, { plan });
      const flows = buildSessionFlow(sessionId, tag, graph, this.taskDefaults());
      await this.fairShare.apply((await this.store.tenant(tag, sessionId)) ?? '', flows);
      await this.queues.addFlows(flows);
    } catch (error) {
      await this.store.discardPlan(tag, sessionId, graph.tasks.keys());
      throw error;
    }
  }
}
