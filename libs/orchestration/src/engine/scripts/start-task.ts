import type { Redis } from 'ioredis';
import type { ScriptedLogEntry } from '../../log/session-log.writer';
import { RedisScript } from '../../redis/redis-script';
import { SESSION_INCLUDES } from '../../sessions/scripts/includes';
import { json, parse } from '../../sessions/json-fields';
import { DEFAULT_TENANT, SessionStatus, WorkerIdentity } from '../../sessions/session.types';
import { decodeStored } from '../../state/stored-value';
import type { Budget, BudgetExceeded, BudgetLimit } from '../../sessions/budget';
import source from './start-task.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

/** One task's start (see start-task.lua). */
export interface StartTaskCall {
  /** The session's hash. */
  readonly session: string;
  readonly taskId: string;
  /** The tasks whose outputs it receives: its dependencies, then its children. */
  readonly inputFrom: readonly string[];
  /** The worker's clock (ISO 8601); the script applies the clock rule to it. */
  readonly now: string;
  /** Given: the task is marked running with this agent, and `started` appended to the session's log with its attempt. */
  readonly run?: { readonly agentId: string; readonly worker: WorkerIdentity; readonly started?: ScriptedLogEntry };
}

/** What a task's run starts with, once it may go. */
export interface TaskStart {
  readonly status: SessionStatus;
  readonly goal?: string;
  /** Which run this is; set when the call marked the task running. */
  readonly attempt?: number;
  readonly shared: Record<string, unknown>;
  /** The outputs of `inputFrom` that exist, by task id. */
  readonly dependencies: Record<string, unknown>;
  /** When the task last became ready (ISO), if recorded. */
  readonly readyAt?: string;
  readonly tenant: string;
  /** The bytes the session's stored outputs took when the task started (see the write-back). */
  readonly outputBytes: number;
  /** The session's budget, if it has one, and when (epoch ms) its `wallMs` ends. */
  readonly budget?: { readonly limits: Budget; readonly wallEndsAt?: number };
}

/** The script's answer for one task, each case with its own fields. */
export type StartTaskReply =
  | { readonly kind: 'ended'; readonly status?: SessionStatus }
  | { readonly kind: 'done'; readonly status: SessionStatus; readonly output: unknown }
  | { readonly kind: 'hold'; readonly status: SessionStatus }
  | { readonly kind: 'overBudget'; readonly status: SessionStatus; readonly exceeded: BudgetExceeded }
  | ({ readonly kind: 'go' } & TaskStart);

type RawGo = ['go', SessionStatus, string, number, string[] | null, (string | null)[], string, string, number, string, string];
type RawReply =
  | ['ended', SessionStatus | null]
  | ['done', SessionStatus, string | null]
  | ['hold', SessionStatus]
  | ['budget', SessionStatus, BudgetLimit, string, string]
  | RawGo;

function args(call: StartTaskCall): (string | number)[] {
  const { run } = call;
  return [
    run ? '1' : '0',
    run?.agentId ?? '',
    json(run?.worker),
    call.now,
    json(call.inputFrom),
    call.taskId,
    run?.started?.bound ?? 0,
    run?.started?.json ?? '',
    run?.started?.tail ?? '',
    ...call.inputFrom,
  ];
}

function budgetOf(json: string, from: string): NonNullable<TaskStart['budget']> {
  const limits = parse<Budget>(json) ?? {};
  return limits.wallMs !== undefined && from ? { limits, wallEndsAt: Number(from) + limits.wallMs } : { limits };
}

function decodeGo(raw: RawGo, shared: string[], call: StartTaskCall): StartTaskReply {
  const [, status, goal, attempt, , outputs, readyAt, tenant, outputBytes, budget, budgetFrom] = raw;
  const context: Record<string, unknown> = {};
  for (let i = 0; i < shared.length; i += 2) context[shared[i]] = decodeStored(shared[i + 1]).value;
  const dependencies: Record<string, unknown> = {};
  call.inputFrom.forEach((id, i) => {
    const value = outputs[i];
    if (value !== null && value !== undefined) dependencies[id] = parse(value);
  });
  return {
    kind: 'go',
    status,
    goal: goal || undefined,
    attempt: attempt || undefined,
    shared: context,
    dependencies,
    readyAt: readyAt || undefined,
    tenant: tenant || DEFAULT_TENANT,
    outputBytes: outputBytes ?? 0,
    ...(budget ? { budget: budgetOf(budget, budgetFrom) } : {}),
  };
}

/**
 * Runs start-task.lua for tasks of one shard, in one call: answers one reply per call, in order.
 * A session's shared context comes with its first task of the batch and is given to the others.
 */
export async function startTasks(client: Redis, calls: readonly StartTaskCall[]): Promise<StartTaskReply[]> {
  const argv = calls.flatMap((call) => {
    const list = args(call);
    return [list.length, ...list];
  });
  const replies = (await SCRIPT.run(
    client,
    calls.map((call) => call.session),
    argv,
  )) as RawReply[];
  const sharedOf = new Map<string, string[]>();
  return replies.map((raw, i): StartTaskReply => {
    const call = calls[i];
    switch (raw[0]) {
      case 'ended':
        return { kind: 'ended', status: raw[1] ?? undefined };
      case 'done':
        return { kind: 'done', status: raw[1], output: parse(raw[2]) ?? null };
      case 'hold':
        return { kind: 'hold', status: raw[1] };
      case 'budget':
        return { kind: 'overBudget', status: raw[1], exceeded: { limit: raw[2], used: Number(raw[3]), budget: parse(raw[4]) ?? {} } };
      case 'go': {
        if (raw[4]) sharedOf.set(call.session, raw[4]);
        return decodeGo(raw, raw[4] ?? sharedOf.get(call.session) ?? [], call);
      }
    }
  });
}
