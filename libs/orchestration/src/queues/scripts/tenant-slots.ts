import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import source from './tenant-slots.lua';

const SCRIPT = RedisScript.fromLua(source);

/** Runs tenant-slots.lua's `acquire`: whether `member` now holds one of the `max` slots of the tenant's set `key`. */
export async function acquireTenantSlot(client: Redis, key: string, member: string, holdMs: number, max: number): Promise<boolean> {
  return (await SCRIPT.run(client, [key], ['acquire', member, holdMs, max])) === 1;
}

/** Runs tenant-slots.lua's `renew`: whether `member` still held its slot (it then holds it `holdMs` more). */
export async function renewTenantSlot(client: Redis, key: string, member: string, holdMs: number): Promise<boolean> {
  return (await SCRIPT.run(client, [key], ['renew', member, holdMs])) === 1;
}

/** Runs tenant-slots.lua's `release`: `member` gives its slot back. */
export async function releaseTenantSlot(client: Redis, key: string, member: string): Promise<void> {
  await SCRIPT.run(client, [key], ['release', member]);
}
