import type { Redis } from 'ioredis';
import source from './apply-increments.lua';

/** The name apply-increments.lua has as a command of the connections it is defined on. */
const COMMAND = 'switchyardMetricsApply';

/** One field's increment; `float` ones go by HINCRBYFLOAT. */
export interface MetricIncrement {
  readonly field: string;
  readonly amount: number;
  readonly float: boolean;
}

export interface ApplyIncrementsCall {
  /** The shard's metrics hash. */
  readonly key: string;
  readonly increments: Iterable<MetricIncrement>;
}

export interface ApplyIncrementsReply {
  readonly applied: number;
}

/**
 * Makes apply-increments.lua a command of `client` (ioredis' defineCommand: by SHA, with the
 * source when Redis lacks it), once per connection.
 */
export function defineApplyIncrements(client: Redis): void {
  if (!(COMMAND in client)) client.defineCommand(COMMAND, { numberOfKeys: 1, lua: source });
}

/**
 * Runs apply-increments.lua on a client it was defined on ({@link defineApplyIncrements}): the
 * command is written at once, with the client's other commands of the moment.
 */
export async function applyIncrements(client: Redis, call: ApplyIncrementsCall): Promise<ApplyIncrementsReply> {
  const args: (string | number)[] = [];
  for (const { field, amount, float } of call.increments) args.push(float ? 'f' : 'i', field, amount);
  const run = client as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  return { applied: (await run[COMMAND](call.key, ...args)) as number };
}
