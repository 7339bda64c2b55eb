import type { Redis } from 'ioredis';
import { keys, ShardTag } from '../redis/keys';
import { inOneWrite } from '../adapters/ioredis';
import { decodeStoredHash } from '../state/stored-value';
import { Plan } from '../plans/plan.schema';
import { parse, parseHash } from './json-fields';
import { Budget, usageOf } from './budget';
import { DurableWaitingFor, FailureInfo, SessionStatus, SessionView, StepView, TaskStatus, TaskView, WorkerIdentity } from './session.types';

/** Reads a whole session as the API shows it: two round trips, whatever its size. */
export async function readSessionView(client: Redis, tag: ShardTag, sessionId: string): Promise<SessionView | undefined> {
  const [session, context, outputs, taskIds] = await Promise.all([
    client.hgetall(keys.session(tag, sessionId)),
    client.hgetall(keys.sharedState(tag, sessionId)).then(decodeStoredHash),
    client.hgetall(keys.outputs(tag, sessionId)).then(parseHash),
    client.lrange(keys.taskIds(tag, sessionId), 0, -1),
  ]);
  if (!session.id) return undefined;
  // In one socket write, without an ioredis pipeline (see socket-writes.ts).
  const rows = await Promise.all(inOneWrite(client, () => taskIds.map((id) => client.hgetall(keys.task(tag, sessionId, id)))));
  const tasks = taskIds.map((id, i): TaskView => {
    const t = rows[i] ?? {};
    return {
      id,
      parentId: t.parentId ? t.parentId : null,
      ...(t.title ? { title: t.title } : {}),
      ...(t.kind === 'wait' || t.kind === 'signal' ? { kind: t.kind } : {}),
      capabilities: parse<string[]>(t.capabilities) ?? [],
      dependsOn: parse<string[]>(t.dependsOn) ?? [],
      status: (t.status ?? 'waiting') as TaskStatus,
      agentId: t.agentId || undefined,
      worker: parse<WorkerIdentity>(t.worker),
      attempts: Number(t.attempts ?? 0),
      startedAt: t.startedAt || undefined,
      finishedAt: t.finishedAt || undefined,
      inputFrom: parse<string[]>(t.inputFrom),
      output: id in outputs ? outputs[id] : undefined,
      error: parse<FailureInfo>(t.error),
      // A waiting wait or signal task records what it waits for as JSON (see wait-task.lua).
      waitingFor: t.waitingFor?.startsWith('{') ? parse<DurableWaitingFor>(t.waitingFor) : t.waitingFor || undefined,
      ...(t.reusedFrom ? { reusedFrom: t.reusedFrom } : {}),
      usage: usageOf(t),
    };
  });
  return {
    id: session.id,
    sessionId: session.id,
    status: session.status as SessionStatus,
    goal: session.goal,
    template: session.template,
    ...(session.forkedFrom ? { forkedFrom: parse<{ sessionId: string; taskId: string }>(session.forkedFrom) } : {}),
    createdAt: session.createdAt,
    updatedAt: session.updatedAt,
    startedAt: session.startedAt || undefined,
    finishedAt: session.finishedAt || undefined,
    planning: parse<StepView>(session.planning),
    plan: parse<Plan>(session.plan),
    tasks,
    context,
    result: parse(session.result),
    error: parse<FailureInfo>(session.error),
    budget: parse<Budget>(session.budget),
    usage: usageOf(session),
  };
}
