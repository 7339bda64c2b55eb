import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/api-keys';
import { SessionNotFoundError } from '../errors/errors';
import { ShardRouter } from '../redis/shards';
import { Admission } from './admission.service';
import { SessionIndex, SessionListQuery, SessionPage } from './session-index.store';
import { SessionStore } from './session.store';
import { SessionView } from './session.types';

/** Reads sessions for the API. */
@Injectable()
export class SessionQueries {
  constructor(
    private readonly shards: ShardRouter,
    private readonly store: SessionStore,
    private readonly admission: Admission,
    private readonly index: SessionIndex,
  ) {}

  /**
   * The sessions `principal` may see, newest first: its tenant's, or an admin's every tenant's
   * (as {@link requireVisible} lets an admin see any session).
   */
  list(principal: Pick<Principal, 'role' | 'tenant'>, query: SessionListQuery): Promise<SessionPage> {
    return this.index.list(principal.role === 'admin' ? 'all' : { tenant: principal.tenant }, query);
  }

  /** The tenant a session belongs to; `undefined` for a malformed id or a session that does not exist. */
  async tenantOf(sessionId: string): Promise<string | undefined> {
    const tag = this.shards.tagOf(sessionId);
    return tag ? this.store.tenant(tag, sessionId) : undefined;
  }

  /**
   * Resolves when `principal` may see the session: it exists and is of the principal's tenant (an
   * admin's: of any tenant). Otherwise a {@link SessionNotFoundError}, the same for a session of
   * another tenant as for one that does not exist, after the same single read.
   */
  async requireVisible(sessionId: string, principal: Pick<Principal, 'role' | 'tenant'>): Promise<void> {
    const tenant = await this.tenantOf(sessionId);
    if (tenant === undefined || (principal.role !== 'admin' && tenant !== principal.tenant)) throw new SessionNotFoundError(sessionId);
  }

  async get(sessionId: string): Promise<SessionView> {
    const tag = this.shards.tagOf(sessionId);
    const view = tag ? await this.store.view(tag, sessionId) : undefined;
    if (!view) throw new SessionNotFoundError(sessionId);
    return this.admission.annotate(view);
  }
}
