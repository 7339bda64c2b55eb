import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
/** `viewer` reads; `operator` also starts, cancels, resolves and updates context; `admin` does everything. */
export type Role = (typeof ROLES)[number];

/** Who made a request: the API key's id, its role, and the tenant whose sessions it may see. */
export interface Principal {
  readonly keyId: string;
  readonly role: Role;
  readonly tenant: string;
}

/** One configured API key: only the SHA-256 of the key is kept, never the key itself. */
export interface ApiKeyEntry extends Principal {
  readonly sha256: string;
}

const ID = /^[A-Za-z0-9_-]{1,40}$/;

/** Whether `role` may do what `needed` allows (roles are ordered viewer < operator < admin). */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A fresh random key, in the shape `sy_<43 url-safe characters>` (256 bits). */
export function newApiKey(): string {
  return `sy_${randomBytes(32).toString('base64url')}`;
}

/**
 * Parses `SWITCHYARD_API_KEYS`: comma-separated `id:role:tenant:sha256` entries. Returns the
 * entries, or the problems (each naming the entry) when any is malformed.
 */
export function parseApiKeys(raw: string): { entries: ApiKeyEntry[]; problems: string[] } {
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  parts.forEach((part, index) => {
    const fields = part.split(':');
    const where = `entry ${index + 1}`;
    if (fields.length !== 4) {
      problems.push(`${where} must be id:role:tenant:sha256 (got ${fields.length} fields)`);
      return;
    }
    const [keyId, role, tenant, sha256] = fields;
    if (!ID.test(keyId)) problems.push(`${where}: id must be 1 to 40 letters, digits, "_" or "-"`);
    if (!(ROLES as readonly string[]).includes(role)) problems.push(`${where} (${keyId}): role must be one of ${ROLES.join(', ')}`);
    if (!ID.test(tenant)) problems.push(`${where} (${keyId}): tenant must be 1 to 40 letters, digits, "_" or "-"`);
    if (!/^[0-9a-f]{64}$/.test(sha256))
      problems.push(`${where} (${keyId}): the last field must be the key's SHA-256 in lower-case hex (npm run apikey makes one)`);
    if (entries.some((e) => e.keyId === keyId)) problems.push(`${where}: id "${keyId}" is used twice`);
    entries.push({ keyId, role: role as Role, tenant, sha256 });
  });
  return { entries, problems };
}

/** The configured keys, checked in constant time per key. */
export class ApiKeyRing {
  private readonly hashes: { entry: ApiKeyEntry; digest: Buffer }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    this.hashes = entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, 'hex') }));
  }

  get size(): number {
    return this.hashes.length;
  }

  /** The principal a presented key stands for, or `undefined` when it matches none. */
  authenticate(presented: string): Principal | undefined {
    const digest = Buffer.from(hashApiKey(presented), 'hex');
    let found: ApiKeyEntry | undefined;
    // Compare with every entry, so the time taken does not say which one (if any) matched.
    for (const { entry, digest: expected } of this.hashes) {
      if (timingSafeEqual(digest, expected) && !found) found = entry;
    }
    return found && { keyId: found.keyId, role: found.role, tenant: found.tenant };
  }
}
