import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisConnections } from '../redis/redis-connections.service';
import { keys, ROOT_WAITER, ShardTag } from '../redis/keys';
import { inOneWrite, repliesOrThrow, transaction } from '../adapters/ioredis';
import { decodeStoredHash, encodeStored } from '../state/stored-value';
import { endSession } from './scripts/end-session';
import { attachTasks, AttachTasksCall, AttachedTask, queueAttachTasks } from './scripts/attach-tasks';
import { setTaskStatus } from './scripts/set-task-status';
import { deliverSignal, DeliverSignalReply } from './scripts/deliver-signal';
import { transitionSession } from './scripts/transition-session';
import { EVENTS_MAX, TASK_BATCH } from './scripts/limits';
import { readSessionView } from './session-view.reader';
import { json, parse } from './json-fields';
import { Plan, WAITING_KINDS } from '../plans/plan.schema';
import { queueOfTask } from '../plans/task-job';
import { PlanGraph } from '../plans/plan-graph';
import { FailureInfo, OperatorResolution, SessionStatus, SessionView, StepView, TaskStatus } from './session.types';
import type { Budget } from './budget';

/** Appends an event to a session's stream, inside a transaction (as scripts/includes/emit.lua does in a script). */
const emit = (client: Redis, tag: ShardTag, sessionId: string, type: 'task' | 'session', data: Record<string, unknown>) =>
  client.xadd(keys.events(tag, sessionId), 'MAXLEN', '~', EVENTS_MAX, '*', 'type', type, 'data', JSON.stringify(data));

/** A task a fork keeps from the session it was forked from: completed, with its old output. */
export interface ReusedTask {
  readonly id: string;
  readonly output?: unknown;
  readonly finishedAt?: string;
}

export interface NewSession {
  readonly id: string;
  /** The tenant whose API keys may see and touch the session. */
  readonly tenant: string;
  readonly goal?: string;
  readonly template?: string;
  readonly context: Record<string, unknown>;
  /** Limits on what the session uses (see budget.ts). */
  readonly budget?: Budget;
}

/**
 * The session record, its tasks' states and its outputs, in the session's shard. Transactions
 * and batches of reads go through {@link transaction} and {@link inOneWrite} rather than an
 * ioredis MULTI or pipeline, which on the command connection copies every script BullMQ defines
 * there into itself before its first command (see inOneWrite).
 */
@Injectable()
export class SessionStore {
  constructor(private readonly redis: RedisConnections) {}

  private get client() {
    return this.redis.client;
  }

  /** Creates the session record and its initial shared context in one transaction. */
  async create(tag: ShardTag, session: NewSession): Promise<void> {
    repliesOrThrow(await transaction(this.client, (client) => this.sendCreate(client, tag, session)));
  }

  /**
   * Sends with `client` what {@link create} writes: inside a transaction of the caller's, which
   * checks the replies (see PlanEnqueuer.start).
   */
  sendCreate(client: Redis, tag: ShardTag, session: NewSession): Promise<unknown>[] {
    const created = new Date();
    const now = created.toISOString();
    const context = Object.entries(session.context);
    return [
      // The session list's indexes, in the same transaction: an entry never names a session that
      // was not written.
      client.zadd(keys.sessionIndex(tag), created.getTime(), session.id),
      client.zadd(keys.tenantSessionIndex(tag, session.tenant), created.getTime(), session.id),
      client.hset(keys.session(tag, session.id), {
        id: session.id,
        tenant: session.tenant,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
        ...(session.goal !== undefined ? { goal: session.goal } : {}),
        ...(session.template !== undefined ? { template: session.template } : {}),
        // budgetFrom: where wallMs counts from, in the form budget.lua compares.
        ...(session.budget !== undefined ? { budget: json(session.budget), budgetFrom: created.getTime() } : {}),
      }),
      emit(client, tag, session.id, 'session', { status: 'pending', at: now }),
      // Version 0: the state's own writes take the next numbers (see stored-value.ts).
      ...(context.length > 0
        ? [client.hset(keys.sharedState(tag, session.id), Object.fromEntries(context.map(([k, v]) => [k, encodeStored(json(v), 0)])))]
        : []),
    ];
  }

  /**
   * Records every task's initial state and pending set (the dependencies it waits on and its
   * children), so the dependency resolver has its bookkeeping before the first job can run.
   * Tasks with nothing to wait for are ready. For a session's plan, `plan` is stored with it; for
   * subtasks spawned at run time, `parentId` is the spawning task, which then waits for them.
   */
  async attachPlan(tag: ShardTag, sessionId: string, graph: PlanGraph, at: { plan: Plan } | { parentId: string }): Promise<void> {
    if ('parentId' in at) {
      // First: once the last task's hash exists, everything here was written (see SubtaskSpawner).
      const parentId = at.parentId;
      const written = await transaction(this.client, (client) => [
        client.sadd(keys.pendingDeps(tag, sessionId, parentId), ...graph.roots),
        client.hset(keys.task(tag, sessionId, parentId), { status: 'waiting', waitingFor: `its subtasks: ${graph.roots.join(', ')}` }),
        emit(client, tag, sessionId, 'task', { taskId: parentId, status: 'waiting', at: new Date().toISOString() }),
      ]);
      repliesOrThrow(written);
    }
    await Promise.all(this.sendAttach(this.client, tag, sessionId, graph, at));
  }

  /**
   * Sends with `client` the tasks' part of {@link attachPlan} (and a session's plan). With
   * `inTransaction`, for a MULTI of the caller's, which checks the replies: the scripts then go
   * with their source (EVAL), as a NOSCRIPT answer would come only with EXEC, too late to send
   * the script again.
   */
  sendAttach(
    client: Redis,
    tag: ShardTag,
    sessionId: string,
    graph: PlanGraph,
    at: { plan: Plan } | { parentId: string },
    inTransaction = false,
  ): Promise<unknown>[] {
    const now = new Date().toISOString();
    const writes: Promise<unknown>[] = [];
    if ('plan' in at) {
      // The tasks nothing else waits for: their outputs are the session's final products.
      const dependedOn = new Set([...graph.tasks.values()].flatMap((t) => t.dependsOn));
      const finalIds = graph.roots.filter((id) => !dependedOn.has(id));
      writes.push(client.hset(keys.session(tag, sessionId), { plan: json(at.plan), finalIds: json(finalIds), updatedAt: now }));
      // What the session's root job waits for (see buildSessionFlow).
      writes.push(client.sadd(keys.pendingDeps(tag, sessionId, ROOT_WAITER), ...graph.roots));
    }
    // In batches (one script call each, sent together): one command per task and key cost the
    // API more than the flow itself, and a batch keeps each script short for Redis.
    const batch: Omit<AttachTasksCall, 'tasks'> = {
      keys: { taskIds: keys.taskIds(tag, sessionId), events: keys.events(tag, sessionId) },
      taskPrefix: keys.task(tag, sessionId, ''),
      pendingPrefix: keys.pendingDeps(tag, sessionId, ''),
      at: now,
    };
    let tasks: AttachedTask[] = [];
    const send = () => {
      writes.push(inTransaction ? queueAttachTasks(client, { ...batch, tasks }) : attachTasks(client, { ...batch, tasks }));
      tasks = [];
    };
    for (const task of graph.tasks.values()) {
      tasks.push({
        id: task.id,
        parentId: task.parentId ?? ('parentId' in at ? at.parentId : null),
        capabilities: json(task.spec.capabilities ?? []),
        dependsOn: json(task.dependsOn),
        title: task.spec.title,
        pending: [...task.waitsOn, ...task.childIds],
        ...(task.spec.kind && WAITING_KINDS.has(task.spec.kind)
          ? { fields: { kind: task.spec.kind, ...(task.spec.signal ? { signal: task.spec.signal } : {}) } }
          : {}),
      });
      if (tasks.length === TASK_BATCH) send();
    }
    if (tasks.length > 0) send();
    return writes;
  }

  /**
   * Sends with `client`, after the plan's bookkeeping in a fork's start transaction: the tasks it
   * keeps, completed with their old outputs (counted in the session's `outputBytes`, as finish.lua
   * counts them) and marked `reusedFrom`, and the session's `forkedFrom`. Their jobs then find
   * them completed and only wake their waiters.
   */
  sendReused(
    client: Redis,
    tag: ShardTag,
    sessionId: string,
    reused: readonly ReusedTask[],
    forkedFrom: { readonly sessionId: string; readonly taskId: string },
  ): Promise<unknown>[] {
    const now = new Date().toISOString();
    const writes: Promise<unknown>[] = [];
    let bytes = 0;
    for (const task of reused) {
      const finishedAt = task.finishedAt ?? now;
      writes.push(client.hset(keys.task(tag, sessionId, task.id), { status: 'completed', finishedAt, reusedFrom: forkedFrom.sessionId, waitingFor: '' }));
      if (task.output !== undefined) {
        const output = json(task.output);
        bytes += Buffer.byteLength(output);
        writes.push(client.hset(keys.outputs(tag, sessionId), task.id, output));
      }
      writes.push(emit(client, tag, sessionId, 'task', { taskId: task.id, status: 'completed', at: now, reusedFrom: forkedFrom.sessionId }));
    }
    writes.push(client.hset(keys.session(tag, sessionId), { outputBytes: bytes, forkedFrom: json(forkedFrom) }));
    return writes;
  }

  /** Removes what {@link attachPlan} wrote for a session's plan (its flow could not be added). */
  async discardPlan(tag: ShardTag, sessionId: string, taskIds: Iterable<string>): Promise<void> {
    const doomed: string[] = [keys.taskIds(tag, sessionId), keys.pendingDeps(tag, sessionId, ROOT_WAITER)];
    for (const id of taskIds) doomed.push(keys.task(tag, sessionId, id), keys.pendingDeps(tag, sessionId, id));
    repliesOrThrow(await transaction(this.client, (client) => [client.hdel(keys.session(tag, sessionId), 'plan'), client.del(...doomed)]));
  }

  /** Removes everything {@link create} and {@link attachPlan} wrote (a start that failed). */
  async discard(tag: ShardTag, sessionId: string, tenant: string, taskIds: Iterable<string> = []): Promise<void> {
    await this.discardPlan(tag, sessionId, taskIds);
    await this.client.zrem(keys.sessionIndex(tag), sessionId);
    await this.client.zrem(keys.tenantSessionIndex(tag, tenant), sessionId);
    await this.client.del(
      keys.session(tag, sessionId),
      keys.sharedState(tag, sessionId),
      keys.outputs(tag, sessionId),
      keys.events(tag, sessionId),
      keys.log(tag, sessionId),
    );
  }

  /** Moves the session to `to` if it is in one of `from`; answers whether it moved. */
  async transition(tag: ShardTag, sessionId: string, from: readonly SessionStatus[], to: SessionStatus, fields: Record<string, string> = {}): Promise<boolean> {
    const call = { keys: { session: keys.session(tag, sessionId), events: keys.events(tag, sessionId) }, from, to, at: new Date().toISOString(), fields };
    return (await transitionSession(this.client, call)).moved;
  }

  /**
   * Ends a session (see scripts/end-session.lua): from one of `from` to the final status `to`, cancelling in
   * the same step its tasks that had not started. Answers the ids of the tasks it cancelled, or
   * undefined when the session was not in one of `from` (or does not exist).
   */
  async end(
    tag: ShardTag,
    sessionId: string,
    from: readonly SessionStatus[],
    to: SessionStatus,
    fields: Record<string, string> = {},
  ): Promise<string[] | undefined> {
    const reply = await endSession(this.client, {
      keys: { session: keys.session(tag, sessionId), events: keys.events(tag, sessionId), taskIds: keys.taskIds(tag, sessionId) },
      from,
      to,
      at: new Date().toISOString(),
      fields,
    });
    return reply.ended ? reply.cancelled : undefined;
  }

  /**
   * The session's tenant; `undefined` when it does not exist, `''` when it was created without one.
   * One read whatever the answer (`id` is in every session's record), so that a caller cannot tell
   * the cases apart by time.
   */
  async tenant(tag: ShardTag, sessionId: string): Promise<string | undefined> {
    const [id, tenant] = await this.client.hmget(keys.session(tag, sessionId), 'id', 'tenant');
    return id === null ? undefined : (tenant ?? '');
  }

  async status(tag: ShardTag, sessionId: string): Promise<SessionStatus | undefined> {
    return ((await this.client.hget(keys.session(tag, sessionId), 'status')) ?? undefined) as SessionStatus | undefined;
  }

  async setPlanning(tag: ShardTag, sessionId: string, step: StepView): Promise<void> {
    await this.client.hset(keys.session(tag, sessionId), 'planning', json(step), 'updatedAt', new Date().toISOString());
  }

  /** The planning step's record as the session holds it, if it has one. */
  async planning(tag: ShardTag, sessionId: string): Promise<StepView | undefined> {
    return parse<StepView>(await this.client.hget(keys.session(tag, sessionId), 'planning'));
  }

  /**
   * Sets a task's status (and optionally why it waits or failed) without touching the rest;
   * answers whether it did. A finished task (completed, failed, skipped, cancelled) keeps its
   * status and fields: nothing that comes later, a stale job say, rewrites its history.
   */
  async setTaskStatus(
    tag: ShardTag,
    sessionId: string,
    taskId: string,
    status: TaskStatus,
    extra: { error?: FailureInfo; waitingFor?: string; finished?: boolean } = {},
  ): Promise<boolean> {
    const now = new Date().toISOString();
    const fields: Record<string, string> = {};
    if (extra.error) fields.error = json(extra.error);
    if (extra.waitingFor !== undefined) fields.waitingFor = extra.waitingFor;
    if (extra.finished) fields.finishedAt = now;
    const taskKeys = { task: keys.task(tag, sessionId, taskId), events: keys.events(tag, sessionId) };
    return (await setTaskStatus(this.client, { keys: taskKeys, taskId, status, at: now, fields })).set;
  }

  /** An operator's decision on a paused task, left for the task's next run to act on. */
  async setResolution(tag: ShardTag, sessionId: string, taskId: string, resolution: OperatorResolution): Promise<void> {
    const now = new Date().toISOString();
    const written = await transaction(this.client, (client) => [
      client.hset(keys.task(tag, sessionId, taskId), { resolution: json(resolution), status: 'ready', waitingFor: '', readyAt: now }),
      emit(client, tag, sessionId, 'task', { taskId, status: 'ready', at: now }),
    ]);
    repliesOrThrow(written);
  }

  /** Reads and clears the operator's decision on a task, if there is one. */
  async takeResolution(tag: ShardTag, sessionId: string, taskId: string): Promise<OperatorResolution | undefined> {
    const key = keys.task(tag, sessionId, taskId);
    const [raw] = repliesOrThrow(await transaction(this.client, (client) => [client.hget(key, 'resolution'), client.hdel(key, 'resolution')]));
    return parse<OperatorResolution>(raw as string | null);
  }

  /** Whether the task has a record in the session. */
  async hasTask(tag: ShardTag, sessionId: string, taskId: string): Promise<boolean> {
    return (await this.client.exists(keys.task(tag, sessionId, taskId))) === 1;
  }

  async taskStatus(tag: ShardTag, sessionId: string, taskId: string): Promise<{ status: TaskStatus; queue: string } | undefined> {
    const [status, capabilities, kind] = await this.client.hmget(keys.task(tag, sessionId, taskId), 'status', 'capabilities', 'kind');
    if (!status) return undefined;
    return { status: status as TaskStatus, queue: queueOfTask({ kind: kind ?? undefined, capabilities: parse<string[]>(capabilities) ?? [] }) };
  }

  /** Where a signal task's signal stands: `open` (it waits for it), `delivered`, `closed` (timed out), or undefined before its wait. */
  async signalState(tag: ShardTag, sessionId: string, taskId: string): Promise<string | undefined> {
    return (await this.client.hget(keys.task(tag, sessionId, taskId), 'signalState')) ?? undefined;
  }

  /** Delivers a signal to the session's task that waits for it (see deliver-signal.lua). */
  deliverSignal(tag: ShardTag, sessionId: string, signal: string, payload: unknown): Promise<DeliverSignalReply> {
    return deliverSignal(this.client, { session: keys.session(tag, sessionId), signal, payload: json(payload), at: new Date().toISOString() });
  }

  /** How many of the session's tasks are paused for operator input. */
  async pausedCount(tag: ShardTag, sessionId: string): Promise<number> {
    const statuses = await this.statusesOf(tag, sessionId, await this.taskIds(tag, sessionId));
    return [...statuses.values()].filter((status) => status === 'paused').length;
  }

  /** The dependencies and children a task still waits for. */
  async pendingIds(tag: ShardTag, sessionId: string, taskId: string): Promise<string[]> {
    return this.client.smembers(keys.pendingDeps(tag, sessionId, taskId));
  }

  /** How many dependencies and children a task still waits for. */
  async pendingCount(tag: ShardTag, sessionId: string, taskId: string): Promise<number> {
    return this.client.scard(keys.pendingDeps(tag, sessionId, taskId));
  }

  /** The outputs of the given tasks (those that have one), keyed by task id. */
  async outputsOf(tag: ShardTag, sessionId: string, taskIds: readonly string[]): Promise<Record<string, unknown>> {
    if (taskIds.length === 0) return {};
    const values = await this.client.hmget(keys.outputs(tag, sessionId), ...taskIds);
    const out: Record<string, unknown> = {};
    taskIds.forEach((id, i) => {
      if (values[i] !== null) out[id] = parse(values[i]);
    });
    return out;
  }

  /** What a completed session's result is made of, in one round trip (the outputs as stored: JSON). */
  async resultInputs(tag: ShardTag, sessionId: string): Promise<{ exists: boolean; taskIds: string[]; finalIds: string[]; outputs: Record<string, string> }> {
    const client = this.client;
    const [[id, finalIds], taskIds, outputs] = await inOneWrite(client, () =>
      Promise.all([
        client.hmget(keys.session(tag, sessionId), 'id', 'finalIds'),
        client.lrange(keys.taskIds(tag, sessionId), 0, -1),
        client.hgetall(keys.outputs(tag, sessionId)),
      ]),
    );
    return { exists: id !== null, taskIds, finalIds: parse<string[]>(finalIds) ?? [], outputs };
  }

  async sharedContext(tag: ShardTag, sessionId: string): Promise<Record<string, unknown>> {
    return decodeStoredHash(await this.client.hgetall(keys.sharedState(tag, sessionId)));
  }

  /** The ids of the session's tasks, in plan order, then spawned subtasks (empty before planning finished). */
  async taskIds(tag: ShardTag, sessionId: string): Promise<string[]> {
    return this.client.lrange(keys.taskIds(tag, sessionId), 0, -1);
  }

  /** The statuses of some tasks of a session (`undefined` for ids it does not have). */
  async statusesOf(tag: ShardTag, sessionId: string, taskIds: readonly string[]): Promise<Map<string, TaskStatus | undefined>> {
    const client = this.client;
    const statuses = await Promise.all(inOneWrite(client, () => taskIds.map((id) => client.hget(keys.task(tag, sessionId, id), 'status'))));
    return new Map(taskIds.map((id, i) => [id, (statuses[i] ?? undefined) as TaskStatus | undefined]));
  }

  /** The whole session as the API shows it, or `undefined` when there is no such session. */
  view(tag: ShardTag, sessionId: string): Promise<SessionView | undefined> {
    return readSessionView(this.client, tag, sessionId);
  }
}
