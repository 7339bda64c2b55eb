import type { Redis } from 'ioredis';

/** Sends `name` with `args`, which are flat already (no nested arrays), and answers Redis' reply. */
export function sendFlat(client: Redis, name: string, args: readonly (string | number)[]): Promise<unknown> {
  return client.call(name, ...args);
}
