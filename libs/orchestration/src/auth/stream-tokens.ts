import { createHash, randomBytes } from 'node:crypto';
import { accessKeys } from '../redis/keys';
import { Principal } from './api-keys';

/** What one stream token grants: reading one session's event stream, as the key that asked for it. */
export interface StreamTokenGrant extends Principal {
  readonly sessionId: string;
}

/** A token just issued: give `token` to the browser; it opens the session's stream until `expiresAt`. */
export interface IssuedStreamToken {
  readonly token: string;
  readonly sessionId: string;
  /** ISO time after which the token opens nothing. */
  readonly expiresAt: string;
}

/** Why a presented token opens nothing: not shaped like a token, expired (or never issued), or for another session. */
export type StreamTokenRefusal = 'malformed' | 'unknown' | 'other_session';

export type StreamTokenCheck = { readonly accepted: true; readonly principal: Principal } | { readonly accepted: false; readonly refusal: StreamTokenRefusal };

/** What stream tokens need of Redis: a string with a time to live, read back. */
export interface StreamTokenStorage {
  set(key: string, value: string, expiry: 'EX', seconds: number): Promise<unknown>;
  get(key: string): Promise<string | null>;
}

/** What stream tokens need of the sessions: who may see one (SessionQueries' rule). */
export interface SessionVisibility {
  /** Throws SessionNotFoundError, the same for a session of another tenant as for a missing one. */
  requireVisible(sessionId: string, principal: Pick<Principal, 'role' | 'tenant'>): Promise<void>;
}

export interface StreamTokenOptions {
  /** The deployment's prefix: tokens live under its global hash tag, so every API replica finds them. */
  readonly prefix: string;
  /** How long a token opens its stream; Redis forgets it then. */
  readonly ttlSeconds: number;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** `syst_` and 256 random bits in base64url: never mistaken for an API key (`sy_…`). */
const TOKEN_PREFIX = 'syst_';
const TOKEN_SHAPE = /^syst_[A-Za-z0-9_-]{43}$/;

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Short-lived, session-scoped tokens for the event stream, for clients that cannot send a header
 * (a browser's `EventSource`): the token goes in the stream's URL instead of the API key. Only
 * the token's SHA-256 is stored, in Redis with the token's time to live, so any API replica
 * accepts it and a leaked URL stops working within minutes.
 */
export class StreamTokens {
  private readonly now: () => number;

  constructor(
    private readonly redis: StreamTokenStorage,
    private readonly sessions: SessionVisibility,
    private readonly options: StreamTokenOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * A token for `sessionId`'s events, carrying `principal` (its key id, role and tenant). A session
   * of another tenant (for a non-admin) is refused exactly as a missing one.
   *
   * @throws SessionNotFoundError when the principal may not see the session, or it does not exist
   */
  async issue(sessionId: string, principal: Principal): Promise<IssuedStreamToken> {
    await this.sessions.requireVisible(sessionId, principal);
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const grant: StreamTokenGrant = { sessionId, keyId: principal.keyId, role: principal.role, tenant: principal.tenant };
    const expiresAt = new Date(this.now() + this.options.ttlSeconds * 1000).toISOString();
    await this.redis.set(accessKeys.streamToken(this.options.prefix, digest(token)), JSON.stringify(grant), 'EX', this.options.ttlSeconds);
    return { token, sessionId, expiresAt };
  }

  /** Whether `token` opens `sessionId`'s stream; if so, as whom. Never throws for a bad token. */
  async check(token: unknown, sessionId: string): Promise<StreamTokenCheck> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return { accepted: false, refusal: 'malformed' };
    const raw = await this.redis.get(accessKeys.streamToken(this.options.prefix, digest(token)));
    if (raw === null) return { accepted: false, refusal: 'unknown' };
    const grant = JSON.parse(raw) as StreamTokenGrant;
    if (grant.sessionId !== sessionId) return { accepted: false, refusal: 'other_session' };
    return { accepted: true, principal: { keyId: grant.keyId, role: grant.role, tenant: grant.tenant } };
  }
}
