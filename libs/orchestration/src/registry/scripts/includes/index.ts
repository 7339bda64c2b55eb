import nowMs from './now-ms.lua';

/** The includes of the registry scripts (see withIncludes), by the names their `--- @include` lines use. */
export const REGISTRY_INCLUDES: Readonly<Record<string, string>> = { 'now-ms': nowMs };

/** The registry's five hashes, by agent id, which every registry script takes (in this order). */
export interface RegistryKeys {
  readonly agents: string;
  readonly heartbeats: string;
  readonly loads: string;
  readonly statuses: string;
  readonly revoked: string;
}

/** The registry's keys as a script's KEYS (KEYS[1] agents … KEYS[5] revoked). */
export function registryKeyList(keys: RegistryKeys): string[] {
  return [keys.agents, keys.heartbeats, keys.loads, keys.statuses, keys.revoked];
}
