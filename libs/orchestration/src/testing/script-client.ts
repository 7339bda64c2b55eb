import type { Redis } from 'ioredis';
import { strict } from './strict-fake';

/** One script call a {@link scriptClient} received: its keys and arguments, as strings. */
export interface ScriptCallSeen {
  /** EVALSHA (by SHA), or EVAL (with the source: RedisScript.send's first call on a connection). */
  readonly command: 'eval' | 'evalsha';
  readonly keys: string[];
  readonly args: string[];
}

/**
 * A fake connection for unit specs of the script wrappers: it takes EVALSHA and EVAL calls only
 * (through ioredis' `call`, which RedisScript uses for a client with friendly error stacks),
 * records each call's keys and arguments, and answers with `reply`. Anything else fails (see
 * strict).
 */
export function scriptClient(reply: (call: ScriptCallSeen) => unknown): { client: Redis; calls: ScriptCallSeen[] } {
  const calls: ScriptCallSeen[] = [];
  const client = strict<Redis>('redis', {
    options: { showFriendlyErrorStack: true },
    call: (name: string, _script: string, numKeys: number, ...rest: (string | number)[]) => {
      if (name !== 'evalsha' && name !== 'eval') throw new Error(`the fake takes EVALSHA and EVAL only, not ${name}`);
      const seen = { command: name, keys: rest.slice(0, numKeys).map(String), args: rest.slice(numKeys).map(String) } as const;
      calls.push(seen);
      return Promise.resolve(reply(seen));
    },
  });
  return { client, calls };
}
