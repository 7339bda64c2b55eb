import { Injectable } from '@nestjs/common';
import { SessionNotFoundError } from '../errors/errors';
import { ShardRouter } from '../redis/shards';
import { Admission } from '../registry/admission.service';
import { SessionStore } from './session.store';
import { SessionView } from './session.types';

/** Reads sessions for the API. */
@Injectable()
export class SessionQueries {
  constructor(
    private readonly shards: ShardRouter,
    private readonly store: SessionStore,
    private readonly admission: Admission,
  ) {}

  /** The tenant a session belongs to; `undefined` for a malformed id or a session that does not exist. */
  async tenantOf(sessionId: string): Promise<string | undefined> {
    const tag = this.shards.tagOf(sessionId);
    return tag ? this.store.tenant(tag, sessionId) : undefined;
  }

  async get(sessionId: string): Promise<SessionView> {
    const tag = this.shards.tagOf(sessionId);
    const view = tag ? await this.store.view(tag, sessionId) : undefined;
    if (!view) throw new SessionNotFoundError(sessionId);
    return this.admission.annotate(view);
  }
}
