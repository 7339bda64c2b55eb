import type { TraceCarrier } from '../tracing/tracing';
import { WAIT_QUEUE } from '../redis/keys';
import { FAILURE_POLICIES, TASK_KINDS, TaskSpec, WAITING_KINDS } from './plan.schema';

/**
 * The queue a task's job lives in: its first capability's, or for a task that runs no agent
 * (`wait`, `signal`) the wait queue. `kind` absent (a task recorded before kinds were stored) is a
 * plain task.
 */
export function queueOfTask(task: { readonly kind?: string; readonly capabilities: readonly string[] }): string {
  return task.kind !== undefined && WAITING_KINDS.has(task.kind) ? WAIT_QUEUE : task.capabilities[0];
}

/** Where a task's job lives: BullMQ queue name (its first capability) and job id. */
export interface TaskRef {
  readonly id: string;
  readonly queue: string;
  /**
   * Set on a dependant whose only prerequisite is the task that lists it (one dependency, no
   * children): that task's write-back always makes it ready.
   */
  readonly sole?: true;
}

/** Everything a worker needs to run a task, carried in its BullMQ job so no extra read is needed. */
export interface TaskJobData {
  readonly type: 'task';
  readonly sessionId: string;
  readonly taskId: string;
  readonly title?: string;
  readonly capabilities: readonly string[];
  readonly agentType?: string;
  readonly input?: unknown;
  readonly timeoutMs?: number;
  readonly onFailure: (typeof FAILURE_POLICIES)[number];
  readonly kind: (typeof TASK_KINDS)[number];
  /** Kind `wait`: how long, or until when (ISO), it waits. */
  readonly durationMs?: number;
  readonly until?: string;
  /** Kind `signal`: the signal's name (`timeoutMs` bounds its wait). */
  readonly signal?: string;
  readonly parentId: string | null;
  /**
   * The tasks whose results it receives, once they finished: its own `dependsOn` and its
   * ancestors' (see PlannedTask.dependencies).
   */
  readonly dependsOn: readonly string[];
  readonly childIds: readonly string[];
  /** Tasks that wait for this one (their `dependsOn`, or an ancestor's, names it): told when it completes. */
  readonly dependants: readonly TaskRef[];
  /**
   * Set once the task's agent spawned subtasks (they are then among `childIds`): when the job
   * runs again, after they completed, it finishes without running the agent again.
   */
  readonly decomposition?: {
    readonly output?: unknown;
    /**
     * The subtasks as the agent returned them (validated). A job that runs again before its
     * subtasks were all enqueued (its worker died mid-way) finishes enqueuing them from these.
     */
    readonly tasks?: readonly TaskSpec[];
  };
  /**
   * The W3C trace context of the span that enqueued it (the session's orchestrate span, a
   * planning run's, or the attempt of the task that spawned it), when traces are on: the task's
   * attempt spans are its children (see tracing/).
   */
  readonly trace?: TraceCarrier;
  /**
   * The session's tenant, set as the job is queued with its fair-share turn (see FairShare): a
   * worker caps a tenant's running tasks before it fetches one. Absent on jobs queued before.
   */
  readonly tenant?: string;
}

/** Data of a session's root job (queue `sy.session`) and of its planning job. */
export interface SessionJobData {
  readonly sessionId: string;
  /** How often the root job checked on its session before all its top-level tasks finished (see SessionFinalizer). */
  readonly checks?: number;
  /** The trace context of the session's orchestrate span, when traces are on (see {@link TaskJobData.trace}). */
  readonly trace?: TraceCarrier;
}

export interface PlanningJobData {
  readonly type: 'plan';
  readonly sessionId: string;
  readonly goal: string;
  /** The trace context of the session's orchestrate span, when traces are on (see {@link TaskJobData.trace}). */
  readonly trace?: TraceCarrier;
}

/** Jobs in a capability queue: a task of a plan, or (in `task_decomposition`) a goal to plan. */
export type CapabilityJobData = TaskJobData | PlanningJobData;
