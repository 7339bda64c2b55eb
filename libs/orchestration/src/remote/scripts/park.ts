import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import source from './park.lua';

const SCRIPT = RedisScript.fromLua(source);

export interface ParkCall {
  readonly pendingKey: string;
  readonly parkKey: string;
  readonly parkId: string;
  readonly taskId: string;
  /** The task as the agent sees it, JSON. */
  readonly task: string;
  readonly ttlMs: number;
}

/** Runs park.lua: records a task for the remote agents and queues its id. */
export async function park(client: Redis, call: ParkCall): Promise<void> {
  await SCRIPT.run(client, [call.pendingKey, call.parkKey], [call.parkId, call.task, call.taskId, call.ttlMs]);
}
