import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { CapabilityCatalog } from '../agents/capability-catalog.service';
import { Decomposition } from '../plans/decomposition';
import { InvalidAgentOutputError } from '../errors/errors';
import { buildSubtaskFlows, taskDefaultsFor } from '../plans/flow-builder';
import { DEFAULT_PLAN_LIMITS, validatePlan } from '../plans/plan-validator';
import { buildPlanGraph, flattenPlan, PlanGraph } from '../plans/plan-graph';
import { FAILPOINTS, Failpoints } from '../runtime/failpoint';
import { TaskJobData } from '../plans/task-job';
import { ShardTag } from '../redis/keys';
import { TaskQueues } from '../queues/task-queues.service';
import { FairShare } from '../queues/fair-share.service';
import { SessionStore } from '../sessions/session.store';
import { SessionLogWriter } from '../log/session-log.writer';

const FINISHED = new Set(['completed', 'failed', 'skipped']);

/**
 * Dynamic decomposition: the subtasks an agent returned are validated like any plan (against
 * the session's other tasks too), recorded, and enqueued as children of the agent's own job,
 * which then waits for them in BullMQ's waiting-children state. As children, they receive the
 * results of the task's dependencies, which finished before it ran.
 */
@Injectable()
export class SubtaskSpawner {
  private readonly logger = new Logger(SubtaskSpawner.name);

  constructor(
    private readonly store: SessionStore,
    private readonly queues: TaskQueues,
    private readonly fairShare: FairShare,
    private readonly catalog: CapabilityCatalog,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
    private readonly log: SessionLogWriter,
    @Inject(FAILPOINTS) private readonly failpoints: Failpoints,
  ) {}

  /**
   * Answers `true` when the job now waits for its subtasks (the caller throws
   * WaitingChildrenError), `false` when they all finished already.
   */
  async spawn(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, agentId: string, decomposition: Decomposition): Promise<boolean> {
    const { sessionId, taskId } = job.data;
    const existing = await this.store.taskIds(tag, sessionId);
    const referenced = [
      ...new Set(
        decomposition.tasks.flatMap(function refs(t): string[] {
          return [...(t.dependsOn ?? []), ...(t.children ?? []).flatMap(refs)];
        }),
      ),
    ].filter((id) => existing.includes(id));
    const statuses = await this.store.statusesOf(tag, sessionId, referenced);
    const validate = () =>
      validatePlan(
        { tasks: decomposition.tasks },
        this.catalog.names(),
        { ...DEFAULT_PLAN_LIMITS, maxTasks: this.config.maxPlanTasks, maxDepth: this.config.maxPlanDepth },
        'subtasks',
        {
          existingIds: new Set(existing),
          finishedIds: new Set(referenced.filter((id) => FINISHED.has(statuses.get(id) ?? ''))),
          inherited: job.data.dependsOn,
        },
      );
    let validation = validate();
    if (!validation.ok) {
      // Another process may have added a custom capability it names since this one last looked.
      await this.catalog.refresh();
      validation = validate();
    }
    if (!validation.ok) {
      throw new InvalidAgentOutputError(agentId, `its subtasks are invalid: ${validation.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    }
    const { graph } = validation;
    this.log.write(
      tag,
      {
        level: 'info',
        source: 'task',
        sessionId,
        taskId,
        agentId,
        message: 'task spawned subtasks; it completes after them',
        context: { subtasks: [...graph.tasks.keys()] },
      },
      this.logger,
    );
    await this.log.flush(); // written before the subtasks can start and log
    // Kept in the job before anything else is written: if this worker dies from here on, the job
    // runs again and finishes the spawn (see resume) instead of running the agent again.
    await job.updateData({
      ...job.data,
      childIds: [...job.data.childIds, ...graph.roots],
      decomposition: { output: decomposition.output, tasks: decomposition.tasks },
    });
    this.failpoints.reach('subtasks-decided');
    return this.enqueue(tag, job, token, graph, true);
  }

  /**
   * Finishes the spawn of a job that runs again with its subtasks decided (see spawn) but not
   * all enqueued, its worker having died mid-way: records them unless that was done, adds their
   * flows (BullMQ keeps the jobs that already exist, and tells their parent about those that
   * finished), and waits for them. Answers like spawn.
   */
  async resume(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined): Promise<boolean> {
    const { sessionId, taskId } = job.data;
    const graph = this.decided(job.data);
    const recorded = await this.lastRecorded(tag, sessionId, graph);
    this.logger.warn({ sessionId, taskId, recorded }, 'finishing the spawn of subtasks that a worker did not get through');
    this.log.write(tag, {
      level: 'warn',
      source: 'system',
      sessionId,
      taskId,
      message: 'a worker died while enqueuing the subtasks of this task; enqueuing them again',
    });
    return this.enqueue(tag, job, token, graph, !recorded);
  }

  /** Whether the subtasks the task's agent returned were all recorded (attachPlan writes the last one last). */
  recorded(tag: ShardTag, task: TaskJobData): Promise<boolean> {
    return this.lastRecorded(tag, task.sessionId, this.decided(task));
  }

  private async lastRecorded(tag: ShardTag, sessionId: string, graph: PlanGraph): Promise<boolean> {
    const ids = [...graph.tasks.keys()];
    return ids.length === 0 || this.store.hasTask(tag, sessionId, ids[ids.length - 1]);
  }

  private decided(task: TaskJobData): PlanGraph {
    return buildPlanGraph(flattenPlan({ tasks: [...(task.decomposition?.tasks ?? [])] }, 'subtasks'), task.dependsOn);
  }

  private async enqueue(tag: ShardTag, job: Job<TaskJobData>, token: string | undefined, graph: PlanGraph, record: boolean): Promise<boolean> {
    const { sessionId, taskId } = job.data;
    if (record) await this.store.attachPlan(tag, sessionId, graph, { parentId: taskId });
    this.failpoints.reach('subtasks-recorded');
    const flows = buildSubtaskFlows(
      sessionId,
      tag,
      graph,
      { id: job.id!, queue: job.queueQualifiedName },
      taskId,
      taskDefaultsFor(this.config.retentionSeconds),
    );
    await this.fairShare.apply(job.data.tenant ?? (await this.store.tenant(tag, sessionId)) ?? '', flows);
    await this.queues.addFlows(flows);
    this.failpoints.reach('subtasks-enqueued');
    return job.moveToWaitingChildren(token!);
  }
}
