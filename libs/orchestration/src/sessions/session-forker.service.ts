import { Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { rerunClosure } from '../dag/rerun';
import { SessionNotFoundError, SessionNotForkableError, TaskNotFoundError, ValidationFailedError } from '../errors/errors';
import { SessionLogWriter } from '../log/session-log.writer';
import { NewLogEntry } from '../log/log-entry';
import { Plan, TaskSpec } from '../plans/plan.schema';
import { ShardRouter } from '../redis/shards';
import { mergePatch } from '../state/json-merge-patch';
import { PlanEnqueuer } from './plan-enqueuer.service';
import { NewSession, ReusedTask, SessionStore } from './session.store';
import { DEFAULT_TENANT, FINISHED_SESSION_STATUSES, SessionStatus, SessionView } from './session.types';

/** `POST .../sessions/:id/fork`'s body. */
export interface ForkRequest {
  /** The task to run again, and with it every task that waits on it. */
  readonly fromTask: string;
  /** Its input in the new session (else its old one). */
  readonly input?: unknown;
  /** A JSON Merge Patch over the old session's shared context. */
  readonly context?: Record<string, unknown>;
}

export interface ForkAccepted {
  readonly sessionId: string;
  readonly status: SessionStatus;
  readonly forkedFrom: { readonly sessionId: string; readonly taskId: string };
  /** The tasks that run again, in plan order. */
  readonly rerun: readonly string[];
  /** The tasks that keep their old output without running. */
  readonly reused: readonly string[];
}

/** `plan` with the task `taskId`'s input replaced by `input` (when given); undefined when no task has that id. */
function withInput(plan: Plan, taskId: string, input: unknown): Plan | undefined {
  let found = false;
  const walk = (tasks: readonly TaskSpec[]): TaskSpec[] =>
    tasks.map((task) => {
      const children = task.children ? { children: walk(task.children) } : {};
      if (task.id !== taskId) return { ...task, ...children };
      found = true;
      return { ...task, ...children, ...(input !== undefined ? { input: input as TaskSpec['input'] } : {}) };
    });
  const tasks = walk(plan.tasks as TaskSpec[]);
  return found ? ({ ...plan, tasks } as Plan) : undefined;
}

/**
 * Forks a finished session: a new session with the old one's plan, in which `fromTask` and every
 * task that waits on it, directly or through others (its dependants and its parents, see
 * rerunClosure), run again, as do the tasks that had not completed (they have no output to keep);
 * every other task is recorded completed with its old output (`reusedFrom`) before any job runs,
 * so its job only wakes its waiters (the engine's path for a task completed before) and its agent
 * never runs. All of it goes to Redis in the one transaction that starts the session.
 */
@Injectable()
export class SessionForker {
  private readonly logger = new Logger(SessionForker.name);

  constructor(
    private readonly shards: ShardRouter,
    private readonly store: SessionStore,
    private readonly enqueuer: PlanEnqueuer,
    private readonly log: SessionLogWriter,
  ) {}

  async fork(sessionId: string, request: ForkRequest): Promise<ForkAccepted> {
    const { fromTask } = request;
    const old = await this.finishedSession(sessionId);
    const plan = withInput(old.view.plan!, fromTask, request.input);
    if (!plan) throw new TaskNotFoundError(sessionId, fromTask);
    const validation = await this.enqueuer.validateFresh(plan);
    if (!validation.ok) throw new ValidationFailedError(validation.issues, `The plan of session "${sessionId}" is no longer valid here`);
    const { graph } = validation;
    const before = new Map(old.view.tasks.map((t) => [t.id, t]));
    const incomplete = [...graph.tasks.keys()].filter((id) => before.get(id)?.status !== 'completed');
    const rerun = rerunClosure(graph, [fromTask, ...incomplete]);
    const again = new Set(rerun);
    const reused: ReusedTask[] = [...graph.tasks.keys()]
      .filter((id) => !again.has(id))
      .map((id) => ({ id, output: before.get(id)!.output, finishedAt: before.get(id)!.finishedAt }));

    const newId = this.shards.newSessionId();
    const tag = this.shards.tagOf(newId)!;
    const forkedFrom = { sessionId, taskId: fromTask };
    const context = mergePatch(old.view.context, request.context ?? {}) as Record<string, unknown>;
    const session: NewSession = { id: newId, tenant: old.tenant, goal: old.view.goal, template: old.view.template, context };
    const entry: NewLogEntry = {
      level: 'info',
      source: 'orchestrator',
      sessionId: newId,
      message: `session forked from session ${sessionId} at task ${fromTask}`,
      context: { forkedFrom, rerun, reused: reused.length },
    };
    this.log.mirror(entry, this.logger);
    const first = (client: Redis) => this.log.sendWith(client, tag, entry, true);
    try {
      await this.enqueuer.start(tag, session, plan, graph, first, (client) => this.store.sendReused(client, tag, newId, reused, forkedFrom));
    } catch (error) {
      await this.store.discard(tag, newId, session.tenant, graph.tasks.keys()).catch(() => undefined);
      throw error;
    }
    return { sessionId: newId, status: 'pending', forkedFrom, rerun, reused: reused.map((t) => t.id) };
  }

  /** The session to fork, with its tenant: it must exist, have finished and have a plan. */
  private async finishedSession(sessionId: string): Promise<{ view: SessionView; tenant: string }> {
    const tag = this.shards.tagOf(sessionId);
    if (!tag) throw new SessionNotFoundError(sessionId);
    const [view, tenant] = await Promise.all([this.store.view(tag, sessionId), this.store.tenant(tag, sessionId)]);
    if (!view || tenant === undefined) throw new SessionNotFoundError(sessionId);
    if (!FINISHED_SESSION_STATUSES.includes(view.status)) {
      throw new SessionNotForkableError(sessionId, `it is ${view.status}; only a completed, failed or cancelled session can be forked`);
    }
    if (!view.plan) throw new SessionNotForkableError(sessionId, 'it has no plan (it ended before its planner made one)');
    return { view, tenant: tenant || DEFAULT_TENANT };
  }
}
