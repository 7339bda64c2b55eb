import { Command, type Redis } from 'ioredis';

const NO_ARGS: never[] = [];

/**
 * Sends `name` with `args` (flat: no nested arrays) as ioredis would, minus one step: ioredis
 * flattens every command's arguments with Array.prototype.flat, which Node 20 runs slowly, per
 * argument. The script calls on the task and state paths have dozens of arguments and are flat
 * already. A client that prefixes keys or keeps call sites for error stacks gets the ordinary
 * command.
 */
export function sendFlat(client: Redis, name: string, args: readonly (string | number)[]): Promise<unknown> {
  if (client.options.keyPrefix || client.options.showFriendlyErrorStack) return client.call(name, ...args);
  const command = new Command(name, NO_ARGS, { replyEncoding: 'utf8' });
  const strings: string[] = new Array(args.length);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    strings[i] = typeof arg === 'string' ? arg : String(arg);
  }
  command.args = strings;
  return client.sendCommand(command) as Promise<unknown>;
}
