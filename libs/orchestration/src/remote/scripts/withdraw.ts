import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import source from './withdraw.lua';

const SCRIPT = RedisScript.fromLua(source);

/** Runs withdraw.lua: takes a parked task back from the remote agents. */
export async function withdraw(client: Redis, pendingKey: string, parkKey: string, parkId: string): Promise<void> {
  await SCRIPT.run(client, [pendingKey, parkKey], [parkId]);
}
