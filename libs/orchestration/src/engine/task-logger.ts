import { Logger } from '@nestjs/common';
import { TaskLogger } from '../agents/agent-contract';
import { SessionLogWriter } from '../log/session-log.writer';
import { ShardTag } from '../redis/keys';

/**
 * The logger an agent's run gets: every line goes to the session's orchestration log (source
 * `agent`) and to the process log, both with the session, task and agent ids.
 */
export function taskLogger(log: SessionLogWriter, tag: ShardTag, base: Logger, ids: { sessionId: string; taskId: string; agentId: string }): TaskLogger {
  const scoped = log.scope(tag, 'agent', ids, base);
  return { debug: scoped.debug, info: scoped.info, warn: scoped.warn, error: scoped.error };
}
