import type { WorkerIdentity } from '../runtime/worker-identity';
import type { FailureInfo } from '../errors/failure-info';
import { Plan } from '../plans/plan.schema';
import type { Budget, Usage } from './budget';

export const SESSION_STATUSES = ['pending', 'planning', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const FINISHED_SESSION_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'cancelled'];

/** The tenant of sessions started without an API key (auth off), and of sessions stored without one. */
export const DEFAULT_TENANT = 'default';

export const TASK_STATUSES = ['waiting', 'ready', 'running', 'completed', 'failed', 'skipped', 'cancelled', 'paused'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export type { WorkerIdentity };

/** The `name` of the failure an operator's `abort` records on its task and session. */
export const OPERATOR_ABORT = 'OperatorAbort';

export type { FailureInfo };

/**
 * What a task of kind `wait` or `signal` waits for while it waits: the time (`until`, ISO), or the
 * signal's name and, with a `timeoutMs`, when it times out.
 */
export type DurableWaitingFor = { until: string } | { signal: string; timeoutAt?: string };

export interface TaskView {
  id: string;
  parentId: string | null;
  title?: string;
  /** Set for the kinds that run no agent (`wait`, `signal`); absent for a task (or approval). */
  kind?: 'wait' | 'signal';
  capabilities: string[];
  dependsOn: string[];
  status: TaskStatus;
  agentId?: string;
  worker?: WorkerIdentity;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  /** Task ids whose results were handed to the task's run as `dependencies`. */
  inputFrom?: string[];
  output?: unknown;
  error?: FailureInfo;
  /** Why it waits: a sentence, or for a waiting `wait` or `signal` task what it waits for. */
  waitingFor?: string | DurableWaitingFor;
  /** In a forked session, a task that kept its output from the session it was forked from (that session's id), without running. */
  reusedFrom?: string;
  /** The model usage of its runs (every attempt), once it made a model call. */
  usage?: Usage;
}

/** A step of the session that is not a task of its plan (the planner working on the goal). */
export interface StepView {
  status: 'ready' | 'running' | 'completed' | 'failed';
  agentId?: string;
  worker?: WorkerIdentity;
  startedAt?: string;
  finishedAt?: string;
  error?: FailureInfo;
  waitingFor?: string;
  /** Which round of the model's plan was accepted: 1 for its first plan, 2 after one repair, ... */
  rounds?: number;
  /** The model that wrote the accepted plan. */
  model?: string;
}

export interface SessionView {
  id: string;
  sessionId: string;
  status: SessionStatus;
  goal?: string;
  /** The workflow template the session was started from. */
  template?: string;
  /** A fork's origin: the session it was forked from, and the task it ran again from. */
  forkedFrom?: { sessionId: string; taskId: string };
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  planning?: StepView;
  plan?: Plan;
  tasks: TaskView[];
  context: Record<string, unknown>;
  result?: unknown;
  error?: FailureInfo;
  /** The session's limits, when it was started with some. */
  budget?: Budget;
  /** The model usage of all its tasks and of its planning, once a model call was made. */
  usage?: Usage;
}

export const RESOLVE_ACTIONS = ['retry', 'skip', 'provide', 'abort'] as const;
export type ResolveAction = (typeof RESOLVE_ACTIONS)[number];

/** An operator's answer to a paused task. */
export interface OperatorResolution {
  readonly action: ResolveAction;
  /** The task's output, with `provide`. */
  readonly output?: unknown;
}
