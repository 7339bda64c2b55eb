import type { FlowJobNode, FlowJob, JobsOptions } from 'bullmq';
import { DEFAULT_LOCK_DURATION_MS } from '../config/switchyard-config';
import { jobIds, SESSION_QUEUE, ShardTag } from '../redis/keys';
import { MAX_TASK_PRIORITY } from './plan.schema';
import { PlanGraph, PlannedTask } from './plan-graph';
import { queueOfTask, SessionJobData, TaskJobData, TaskRef } from './task-job';
import { currentTraceCarrier } from '../tracing/tracing';

/**
 * A task that waits for dependencies sits in BullMQ's delayed set for this long; the dependency
 * resolver promotes it the moment its last dependency completes. Large enough never to fire,
 * small enough that BullMQ's delayed score (timestamp × 4096) stays an exact double.
 */
export const HOLD_DELAY_MS = 365 * 24 * 3600 * 1000;

export interface TaskDefaults {
  readonly attempts: number;
  readonly backoffMs: number;
  /** How long BullMQ keeps a session's finished jobs (its queue traces): the session's retention. */
  readonly keepJobsSeconds: number;
  /** How long a session's root job waits before it first checks on the session (see {@link rootCheckDelayMs}). */
  readonly rootCheckMs: number;
}

/**
 * How long a session's root job waits before its next check on the session, after `checks`
 * checks: twice the job lock duration at first (by then a worker that died has lost its jobs),
 * doubling up to 8 times that (8 minutes by default). The root is woken at once when its last
 * top-level task finishes; the checks are for a write-back lost with its worker, or a worker that
 * died between the last write-back and the root's promotion (see SessionFinalizer): they bound
 * how late such a session completes.
 */
export function rootCheckDelayMs(lockDurationMs: number, checks: number): number {
  return 2 * lockDurationMs * 2 ** Math.min(checks, 3);
}

export const DEFAULT_TASK_OPTIONS: TaskDefaults = {
  attempts: 3,
  backoffMs: 1000,
  keepJobsSeconds: 24 * 3600,
  rootCheckMs: rootCheckDelayMs(DEFAULT_LOCK_DURATION_MS, 0),
};

/**
 * What `SWITCHYARD_RETENTION_S` and `SWITCHYARD_LOCK_DURATION_MS` make of the defaults: jobs are
 * kept as long as the session's keys.
 */
export function taskDefaultsFor(retentionSeconds: number, lockDurationMs = DEFAULT_LOCK_DURATION_MS): TaskDefaults {
  return { ...DEFAULT_TASK_OPTIONS, keepJobsSeconds: retentionSeconds, rootCheckMs: rootCheckDelayMs(lockDurationMs, 0) };
}

/** BullMQ runs priority 1 first; the wire contract's priority runs higher first. */
export function toBullPriority(priority: number): number {
  return MAX_TASK_PRIORITY + 1 - priority;
}

export function taskQueue(task: PlannedTask): string {
  return queueOfTask({ kind: task.spec.kind, capabilities: task.spec.capabilities ?? [] });
}

export function taskJobData(sessionId: string, task: PlannedTask, graph: PlanGraph, rootParentId: string | null = null): TaskJobData {
  const { spec } = task;
  // The active span's context (traces on): the enqueuer's, whose child the task's attempts are.
  const trace = currentTraceCarrier();
  return {
    type: 'task',
    sessionId,
    taskId: task.id,
    title: spec.title,
    capabilities: spec.capabilities ?? [],
    agentType: spec.agentType,
    input: spec.input,
    timeoutMs: spec.timeoutMs,
    onFailure: spec.onFailure ?? 'fail',
    kind: spec.kind ?? 'task',
    ...(spec.durationMs !== undefined ? { durationMs: spec.durationMs } : {}),
    ...(spec.until !== undefined ? { until: spec.until } : {}),
    ...(spec.signal !== undefined ? { signal: spec.signal } : {}),
    parentId: task.parentId ?? rootParentId,
    dependsOn: task.dependencies,
    childIds: task.childIds,
    dependants: (graph.dependants.get(task.id) ?? []).map((id) => dependantRef(graph.tasks.get(id)!)),
    ...(trace ? { trace } : {}),
  };
}

function dependantRef(dependant: PlannedTask): TaskRef {
  const sole = dependant.waitsOn.length === 1 && dependant.childIds.length === 0;
  return { id: dependant.id, queue: taskQueue(dependant), ...(sole ? { sole: true } : {}) };
}

function taskJobOptions(sessionId: string, task: PlannedTask, defaults: TaskDefaults): JobsOptions {
  const { spec } = task;
  const options: JobsOptions = {
    jobId: jobIds.task(sessionId, task.id),
    attempts: spec.attempts ?? defaults.attempts,
    backoff: { type: 'exponential', delay: spec.backoffMs ?? defaults.backoffMs },
    // `continue`: the parent goes on without this task's result; otherwise its failure fails the parent.
    ...(spec.onFailure === 'continue' ? { ignoreDependencyOnFailure: true } : { failParentOnFailure: true }),
    removeOnComplete: { age: defaults.keepJobsSeconds },
    removeOnFail: { age: defaults.keepJobsSeconds },
  };
  // Every task gets a BullMQ priority, the default (0) the lowest: BullMQ takes jobs without a
  // priority before all prioritized ones, which would let unprioritized tasks jump the queue.
  options.priority = toBullPriority(spec.priority ?? 0);
  // A leaf that waits for dependencies (its ancestors' included) is held in the delayed set until
  // they complete. A parent is not: BullMQ holds it until its children complete, and they wait for
  // its dependencies.
  if (task.waitsOn.length > 0 && task.childIds.length === 0) options.delay = HOLD_DELAY_MS;
  return options;
}

/**
 * Turns a validated plan into BullMQ flows: one per top-level task, each task the parent of its
 * children, each job in the queue of its first capability, all under the session's shard prefix;
 * and first the session's root job (queue `sy.session`), held in the delayed set. The root waits
 * for the top-level tasks through the dependency resolver (its pending set, see ROOT_WAITER),
 * which promotes it when the last of them finishes, not as their BullMQ parent: a flow child
 * costs BullMQ a parent link at its insert and an update of the parent at its completion (which
 * also keeps the child's return value), on every top-level task.
 */
export function buildSessionFlow(sessionId: string, tag: ShardTag, graph: PlanGraph, defaults: TaskDefaults = DEFAULT_TASK_OPTIONS): FlowJob[] {
  const node = taskNode(sessionId, tag, graph, defaults);
  const data: SessionJobData = { sessionId };
  const root: FlowJob = {
    name: 'session',
    queueName: SESSION_QUEUE,
    prefix: tag,
    data,
    opts: {
      jobId: jobIds.root(sessionId),
      delay: defaults.rootCheckMs,
      removeOnComplete: { age: defaults.keepJobsSeconds },
      removeOnFail: { age: defaults.keepJobsSeconds },
    },
  };
  return [root, ...graph.roots.map((id): FlowJob => node(graph.tasks.get(id)!) as FlowJob)];
}

/**
 * Subtasks an agent spawned at run time: one flow per top-level subtask, each a child of the
 * spawning task's job (`parent` is its id and qualified queue name), so that job waits for them.
 */
export function buildSubtaskFlows(
  sessionId: string,
  tag: ShardTag,
  graph: PlanGraph,
  parent: { id: string; queue: string },
  spawnedBy: string,
  defaults: TaskDefaults = DEFAULT_TASK_OPTIONS,
): FlowJob[] {
  const node = taskNode(sessionId, tag, graph, defaults, spawnedBy);
  return graph.roots.map((id) => {
    const flow = node(graph.tasks.get(id)!);
    return { ...flow, opts: { ...flow.opts, parent } } as FlowJob;
  });
}

function taskNode(sessionId: string, tag: ShardTag, graph: PlanGraph, defaults: TaskDefaults, rootParentId: string | null = null) {
  const node = (task: PlannedTask): FlowJobNode => ({
    name: task.id,
    queueName: taskQueue(task),
    prefix: tag,
    data: taskJobData(sessionId, task, graph, rootParentId),
    opts: taskJobOptions(sessionId, task, defaults),
    children: task.childIds.length > 0 ? task.childIds.map((id) => node(graph.tasks.get(id)!)) : undefined,
  });
  return node;
}
