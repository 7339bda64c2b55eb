import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { REGISTRY_INCLUDES } from '../../registry/scripts/includes';
import source from './lease.lua';

const SCRIPT = RedisScript.fromLua(source, REGISTRY_INCLUDES);

export interface LeaseCall {
  readonly parkKey: string;
  readonly op: 'beat' | 'settle';
  readonly agentId: string;
  readonly taskId: string;
  readonly secret: string;
  readonly leaseMs: number;
  readonly keepMs: number;
  /** The outcome, JSON (settle only). */
  readonly outcome?: string;
}

export type LeaseReply = { readonly status: 'ok' | 'expired'; readonly expiresAt: number } | { readonly status: 'unknown' };

/** Runs lease.lua: extends a lease (`beat`) or records its task's outcome (`settle`). */
export async function lease(client: Redis, call: LeaseCall): Promise<LeaseReply> {
  const args = [call.op, call.agentId, call.taskId, call.secret, call.leaseMs, call.keepMs, call.outcome ?? ''];
  const reply = (await SCRIPT.run(client, [call.parkKey], args)) as [string, number?];
  if (reply[0] === 'unknown') return { status: 'unknown' };
  return { status: reply[0] as 'ok' | 'expired', expiresAt: Number(reply[1]) };
}
