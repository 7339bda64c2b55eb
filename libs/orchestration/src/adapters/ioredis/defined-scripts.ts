import type { Redis } from 'ioredis';

/**
 * Loads into Redis (SCRIPT LOAD) every script defined on `client` with `defineCommand` (BullMQ
 * defines its own that way), read from ioredis' `scriptsSet`: after Redis lost its scripts (a
 * SCRIPT FLUSH), a command sent inside a MULTI answers NOSCRIPT, and ioredis sends the source
 * again only outside one.
 */
export async function loadDefinedScripts(client: Redis): Promise<void> {
  const scripts = Object.values(client.scriptsSet as Record<string, { lua: string }>);
  await Promise.all(scripts.map((script) => client.script('LOAD', script.lua)));
}
