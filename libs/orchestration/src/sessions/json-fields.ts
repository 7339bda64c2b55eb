/** How session values are stored in Redis: JSON strings, with '' or a missing field meaning none. */

export const json = (value: unknown): string => JSON.stringify(value ?? null);

export const parse = <T>(value: string | null | undefined): T | undefined =>
  value === null || value === undefined || value === '' ? undefined : (JSON.parse(value) as T);

/** A hash whose every value is JSON (shared state, outputs), parsed. */
export const parseHash = (raw: Record<string, string>): Record<string, unknown> => Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, parse(v)]));
