import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sendFlat } from '../adapters/ioredis';
import { withIncludes } from './lua-source';

/** A Lua script run by SHA, loaded on first use (and again after a Redis restart). */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** The script of a `.lua` file (its source, imported as a module), with its `--- @include`s filled in. */
  static fromLua(source: string, includes: Readonly<Record<string, string>> = {}): RedisScript {
    return new RedisScript(withIncludes(source, includes));
  }

  /**
   * Sends the script with its source (EVAL), for a MULTI: its replies come only with EXEC, so a
   * NOSCRIPT answer there could not be met by sending the script again. Redis finds the compiled
   * script by the source's SHA, so this costs the bytes and the hashing, not a compilation.
   */
  sendSource(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return sendFlat(client, 'eval', [this.source, keys.length, ...keys, ...args]);
  }

  /**
   * Sends the script by its SHA alone, for a MULTI whose caller meets a NOSCRIPT reply (in
   * EXEC's answer) with {@link load} and a second try: what {@link sendSource} does without
   * sending the source every time.
   */
  sendSha(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return sendFlat(client, 'evalsha', [this.sha, keys.length, ...keys, ...args]);
  }

  /** Loads the script into Redis' script cache (after a restart or SCRIPT FLUSH emptied it). */
  async load(client: Redis): Promise<void> {
    await client.call('script', 'load', this.source);
  }

  /** Runs the script by its SHA, and with its source should Redis lack it (first use, a restart, SCRIPT FLUSH). */
  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.sendSha(client, keys, args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return this.sendSource(client, keys, args);
    }
  }
}

/** Whether Redis answered `error` for a script it does not have (after a restart or SCRIPT FLUSH). */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
