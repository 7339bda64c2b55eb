import { Injectable, Logger } from '@nestjs/common';
import { ValidationFailedError } from '../errors/errors';
import { PlanEnqueuer } from '../plans/plan-enqueuer.service';
import { PlanningJobData } from '../plans/task-job';
import { TemplateCatalog } from '../plans/templates/template-catalog.service';
import { jobIds } from '../redis/keys';
import { ShardRouter } from '../redis/shards';
import { TaskQueues } from '../queues/task-queues.service';
import { OrchestrateAccepted, OrchestrateRequest } from './orchestrate-request.schema';
import { PLANNING_CAPABILITY } from './planning-capability';
import { SessionStore } from './session.store';

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
  ) {}

  async start(request: OrchestrateRequest): Promise<OrchestrateAccepted> {
    const validation =
      request.plan !== undefined
        ? await this.enqueuer.validateFresh(request.plan)
        : request.template !== undefined
          ? await this.enqueuer.validateFresh(this.templates.build(request.template.name, request.template.params), 'template.plan')
          : undefined;
    if (validation && !validation.ok) throw new ValidationFailedError(validation.issues, 'The plan is invalid');

    const sessionId = this.shards.newSessionId();
    const tag = this.shards.tagOf(sessionId)!;
    await this.store.create(tag, {
      id: sessionId,
      goal: request.goal,
      template: request.template?.name,
      context: request.context ?? {},
    });
    try {
      if (validation?.ok) {
        await this.enqueuer.enqueue(tag, sessionId, validation.plan, validation.graph);
      } else {
        const data: PlanningJobData = { type: 'plan', sessionId, goal: request.goal! };
        await this.queues.queue(tag, PLANNING_CAPABILITY).add('plan', data, {
          jobId: jobIds.plan(sessionId),
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        });
      }
    } catch (error) {
      await this.store.discard(tag, sessionId);
      throw error;
    }
    this.logger.log({ sessionId, from: request.template ? 'template' : validation ? 'plan' : 'goal' }, 'session accepted');
    return { sessionId, status: 'pending' };
  }
}
