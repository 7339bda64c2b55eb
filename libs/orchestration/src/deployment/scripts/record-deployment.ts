import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import { hashReply } from '../../adapters/ioredis';
import source from './record-deployment.lua';

const SCRIPT = RedisScript.fromLua(source);

export interface RecordDeploymentCall {
  /** The deployment's record key. */
  readonly key: string;
  /** The record written when there is none. */
  readonly record: Readonly<Record<string, string | number>>;
}

export type RecordDeploymentReply = { created: true } | { created: false; stored: Record<string, string> };

/** Runs record-deployment.lua: writes the deployment's record unless one is stored. */
export async function recordDeployment(client: Redis, call: RecordDeploymentCall): Promise<RecordDeploymentReply> {
  const reply = (await SCRIPT.run(client, [call.key], Object.entries(call.record).flat())) as string[] | null;
  return reply ? { created: false, stored: hashReply(reply) } : { created: true };
}
