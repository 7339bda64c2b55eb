import type { Redis } from 'ioredis';
import { RedisScript } from '../../redis/redis-script';
import type { BudgetExceeded, BudgetLimit } from '../../sessions/budget';
import { parse } from '../../sessions/json-fields';
import { SESSION_INCLUDES } from '../../sessions/scripts/includes';
import source from './record-usage.lua';

const SCRIPT = RedisScript.fromLua(source, SESSION_INCLUDES);

/** One model call's usage, counted for a task of a session (see record-usage.lua). */
export interface RecordUsageCall {
  /** The session's hash. */
  readonly session: string;
  readonly taskId: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly costUsd: number;
}

/** Counted (`over` set: the session's usage went past a limit of its budget), or the session is gone. */
export type RecordUsageReply = { readonly kind: 'ok'; readonly over?: BudgetExceeded } | { readonly kind: 'gone' };

type Raw = ['gone'] | ['ok'] | ['over', BudgetLimit, string, string];

/** Runs record-usage.lua. */
export async function recordUsage(client: Redis, call: RecordUsageCall): Promise<RecordUsageReply> {
  const raw = (await SCRIPT.run(
    client,
    [call.session],
    [call.taskId, call.promptTokens, call.completionTokens, call.totalTokens, call.costUsd === 0 ? '0' : call.costUsd.toFixed(12)],
  )) as Raw;
  if (raw[0] === 'gone') return { kind: 'gone' };
  if (raw[0] === 'ok') return { kind: 'ok' };
  return { kind: 'ok', over: { limit: raw[1], used: Number(raw[2]), budget: parse(raw[3]) ?? {} } };
}
