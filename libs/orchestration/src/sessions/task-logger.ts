import { Logger } from '@nestjs/common';
import { TaskLogger } from '../agents/agent-contract';

/** A logger for one task's run: every line carries the session, task and agent ids. */
export function taskLogger(base: Logger, ids: { sessionId: string; taskId: string; agentId: string }): TaskLogger {
  const line = (context?: Record<string, unknown>) => ({ ...ids, ...context });
  return {
    debug: (message, context) => base.debug(line(context), message),
    info: (message, context) => base.log(line(context), message),
    warn: (message, context) => base.warn(line(context), message),
    error: (message, context) => base.error(line(context), message),
  };
}
