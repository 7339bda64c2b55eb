import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import type { BudgetExceeded, BudgetLimit } from '../../sessions/budget';
import { parse } from '../../sessions/json-fields';
import { SESSION_INCLUDES } from '../../sessions/scripts/includes';
import source from './check-budget.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

/** Runs check-budget.lua on a session's hash: the limit it passed, if it is unfinished and passed one. */
export async function checkBudget(client: Redis, session: string): Promise<BudgetExceeded | undefined> {
  const raw = (await SCRIPT.run(client, [session], [])) as [BudgetLimit, string, string] | null;
  return raw ? { limit: raw[0], used: Number(raw[1]), budget: parse(raw[2]) ?? {} } : undefined;
}
