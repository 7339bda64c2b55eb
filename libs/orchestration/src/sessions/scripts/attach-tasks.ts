import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { SESSION_INCLUDES } from './includes';
import source from './attach-tasks.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

/** One task of a plan, as attach-tasks.lua records it. */
export interface AttachedTask {
  readonly id: string;
  readonly parentId?: string | null;
  /** JSON of its capabilities and of its dependsOn. */
  readonly capabilities: string;
  readonly dependsOn: string;
  readonly title?: string;
  /** The ids it waits for (dependencies and children). */
  readonly pending: readonly string[];
  /** Further fields of its hash: a task of kind wait or signal records its `kind` (and `signal`). */
  readonly fields?: Readonly<Record<string, string>>;
}

export interface AttachTasksCall {
  readonly keys: { readonly taskIds: string; readonly events: string };
  /** The prefixes of the tasks' hash keys and pending set keys (see keys.task, keys.pendingDeps). */
  readonly taskPrefix: string;
  readonly pendingPrefix: string;
  /** The ready tasks' readyAt and the events' time (ISO 8601). */
  readonly at: string;
  readonly tasks: readonly AttachedTask[];
}

export interface AttachTasksReply {
  /** How many tasks it recorded (those recorded before are skipped). */
  readonly recorded: number;
}

/** attach-tasks.lua's keys and arguments for `call`. */
function layout(call: AttachTasksCall): { keys: string[]; args: string[] } {
  const rows = call.tasks.map((t) => [t.id, t.parentId ?? '', t.capabilities, t.dependsOn, t.title ?? '', t.pending, Object.entries(t.fields ?? {}).flat()]);
  return { keys: [call.keys.taskIds, call.keys.events], args: [call.at, call.taskPrefix, call.pendingPrefix, JSON.stringify(rows)] };
}

/** Runs attach-tasks.lua: records a batch of a plan's tasks. */
export async function attachTasks(client: Redis, call: AttachTasksCall): Promise<AttachTasksReply> {
  const { keys, args } = layout(call);
  return { recorded: (await SCRIPT.run(client, keys, args)) as number };
}

/**
 * Queues attach-tasks.lua in a MULTI of the caller's: it goes with its source, as a NOSCRIPT
 * answer would come only with EXEC, too late to send the script again. The promise settles as
 * Redis queues it; its reply (an {@link AttachTasksReply}'s count) comes with EXEC.
 */
export function queueAttachTasks(client: Redis, call: AttachTasksCall): Promise<unknown> {
  const { keys, args } = layout(call);
  return SCRIPT.sendSource(client, keys, args);
}
