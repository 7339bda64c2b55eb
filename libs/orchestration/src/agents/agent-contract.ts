import type { WorkerIdentity } from '../runtime/worker-identity';
import type { PermissionLevel, StateHandle } from '../state/state-handle';

export type { PermissionLevel, SharedStateHandle, StateHandle } from '../state/state-handle';
export { PERMISSION_LEVELS } from '../state/state-handle';

export const AGENT_KINDS = ['compiler', 'guest', 'specialised'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

/** What an agent is and what it can take. */
export interface AgentDescriptor {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly capabilities: readonly string[];
  /** How many tasks it runs at once (its max load). */
  readonly concurrency: number;
  /** Higher is chosen first when several agents can take a task. */
  readonly priority: number;
  readonly kind: AgentKind;
  readonly permission: PermissionLevel;
}

/** The task as an agent sees it. */
export interface TaskRun {
  readonly sessionId: string;
  readonly taskId: string;
  readonly title?: string;
  readonly capabilities: readonly string[];
  readonly input: unknown;
  /** Results of the tasks it depends on and of its children, keyed by task id. */
  readonly dependencies: Readonly<Record<string, unknown>>;
  /**
   * Dependencies and children that produced no result (they failed under the `continue` policy,
   * or an operator skipped them); absent when there are none.
   */
  readonly missing?: readonly string[];
  /** The goal of the session, when it was started from one. */
  readonly goal?: string;
  /** 1 on the first run, 2 on the next (a retry, an operator's retry, or a re-run after a worker died), … */
  readonly attempt: number;
}

export interface TaskLogger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** What an agent's run has at hand besides the task. */
export interface TaskContext {
  /** The session's shared context when the task started. */
  readonly shared: Readonly<Record<string, unknown>>;
  /**
   * The session's state: `get` / `set` of the shared scope, the `shared`, `private` (this agent's
   * own) and `temporary` scopes, and transactions. Writes are refused as the agent's permission says.
   */
  readonly state: StateHandle;
  readonly log: TaskLogger;
  /** Aborted when the task times out, the session is cancelled or the worker shuts down. */
  readonly signal: AbortSignal;
  readonly worker: WorkerIdentity;
  /** The tenant whose session this is (see DEFAULT_TENANT): what an agent keeps per tenant, it keeps under this. */
  readonly tenant: string;
  /** Streams a piece of partial output: a `delta` event on the session's event stream. */
  emit(text: string): void;
  /** Adds one model call's token usage to the task's and the session's usage. */
  recordUsage(usage: ModelUsage): void;
  /** Runs `fn` once per task: a finished step's result is kept in Redis and returned on a retry. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** The tokens of one model call, as the server counted them. */
export interface ModelUsage {
  readonly model: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

/** An agent the worker can run: its descriptor and one method. */
export interface RunnableAgent {
  readonly descriptor: AgentDescriptor;
  run(task: TaskRun, context: TaskContext): Promise<unknown>;
}

/** Injection token: the agents a worker process hosts. */
export const HOSTED_AGENTS = Symbol('HOSTED_AGENTS');
