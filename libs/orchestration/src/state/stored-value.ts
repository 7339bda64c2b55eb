import type { Versioned } from './state-handle';

/**
 * How a state entry's value is stored: one hash field holding its version and its JSON,
 * `<version>:<json>`. One field, so that a value and its version are always read and written
 * together (a plain HGET reads both, atomically). JSON never starts with digits followed by ':',
 * so a field written before versions lived here (plain JSON, the initial context of sessions
 * started by earlier builds) reads as version 0.
 */
export function decodeStored(raw: string | null | undefined): Versioned<unknown> {
  if (raw === null || raw === undefined) return { value: undefined, version: 0 };
  const colon = raw.indexOf(':');
  if (colon > 0 && /^\d+$/.test(raw.slice(0, colon))) return { value: JSON.parse(raw.slice(colon + 1)), version: Number(raw.slice(0, colon)) };
  return { value: JSON.parse(raw), version: 0 };
}

/** A stored value's JSON at `version` (see {@link decodeStored}). */
export function encodeStored(json: string, version: number | string): string {
  return `${version}:${json}`;
}

/** The values of a hash of stored entries (a scope), by key. */
export function decodeStoredHash(raw: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in raw) out[key] = decodeStored(raw[key]).value;
  return out;
}
