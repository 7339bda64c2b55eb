import { Injectable } from '@nestjs/common';
import { SessionNotFoundError } from '../errors/errors';
import { ShardRouter } from '../redis/shards';
import { SessionTerminator } from './session-terminator.service';
import { SessionStatus } from './session.types';

/** What the API may do to a running session. */
@Injectable()
export class SessionCommands {
  constructor(
    private readonly shards: ShardRouter,
    private readonly terminator: SessionTerminator,
  ) {}

  async cancel(sessionId: string): Promise<{ sessionId: string; status: SessionStatus }> {
    const tag = this.shards.tagOf(sessionId);
    if (!tag) throw new SessionNotFoundError(sessionId);
    return { sessionId, status: await this.terminator.cancel(tag, sessionId) };
  }
}
