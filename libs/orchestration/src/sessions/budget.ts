import { z } from 'zod';
import type { FailureInfo } from '../errors/failure-info';

/** The limits a session's budget may set. */
export const BUDGET_LIMITS = ['tokens', 'costUsd', 'tasks', 'wallMs'] as const;
export type BudgetLimit = (typeof BUDGET_LIMITS)[number];

const positive = (what: string, int: boolean) => {
  const number = z.number({ error: `must be a number (${what})` });
  return (int ? number.int('must be a whole number') : number).positive('must be more than 0').optional();
};

/** `budget` of `POST /orchestrate`: what the session may use before it fails with `budget_exceeded`. */
export const budgetSchema = z
  .strictObject({
    tokens: positive('model tokens, prompt and completion together', true),
    costUsd: positive('USD, priced by SWITCHYARD_MODEL_PRICES', false),
    tasks: positive('task runs started, retries not counted', true),
    wallMs: positive('milliseconds from the session’s creation', true),
  })
  .describe(
    'Limits on what the session uses. A task does not start once a limit is reached; model usage past `tokens` or `costUsd`, or the time past `wallMs`, ' +
      'aborts its running tasks; either way the session fails with error `{ code: "budget_exceeded", limit, used, budget }`',
  );

export type Budget = z.infer<typeof budgetSchema>;

/** Model usage summed over a task's calls or a session's tasks. */
export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly calls: number;
  readonly costUsd: number;
}

/** The `usage:*` fields of a task's or session's hash (record-usage.lua writes them) as a {@link Usage}; none: undefined. */
export function usageOf(hash: Readonly<Record<string, string | undefined>>): Usage | undefined {
  if (hash['usage:calls'] === undefined) return undefined;
  const n = (field: string) => Number(hash[`usage:${field}`] ?? 0);
  return {
    promptTokens: n('promptTokens'),
    completionTokens: n('completionTokens'),
    totalTokens: n('totalTokens'),
    calls: n('calls'),
    costUsd: Math.round(n('costUsd') * 1e9) / 1e9,
  };
}

/** What a session reached: the limit, how much of it was used, and the whole budget. */
export interface BudgetExceeded {
  readonly limit: BudgetLimit;
  readonly used: number;
  readonly budget: Budget;
}

/** The `code` of the failure of a session that reached its budget. */
export const BUDGET_EXCEEDED = 'budget_exceeded';

/** The error a session that reached its budget fails with. */
export function budgetFailure(exceeded: BudgetExceeded, taskId?: string): FailureInfo {
  const { limit, used, budget } = exceeded;
  return {
    name: 'BudgetExceededError',
    code: BUDGET_EXCEEDED,
    message: `the session reached its budget of ${budget[limit]} ${limit} (used: ${used})`,
    limit,
    used,
    budget,
    ...(taskId ? { taskId } : {}),
  };
}
