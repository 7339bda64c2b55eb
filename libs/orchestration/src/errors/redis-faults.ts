import { ReplyError } from 'ioredis';

/**
 * The error codes of Redis replies that say Redis cannot serve the command now, whatever the
 * command: out of memory, a replica or a server still loading, a failover under way, a busy
 * script, persistence broken. The code is the reply's first word (Redis's own error prefix).
 */
const UNAVAILABLE_REPLY_CODES: ReadonlySet<string> = new Set([
  'OOM',
  'READONLY',
  'LOADING',
  'MASTERDOWN',
  'BUSY',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'NOREPLICAS',
  'MISCONF',
]);

/** Node's codes for a connection that was refused, reset or timed out. */
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** A Redis reply's error code: the first word of its message. */
function replyCode(error: Error): string {
  return error.message.slice(0, error.message.search(/\s|$/));
}

/**
 * Whether `error` is Redis's, not the work's: Redis refused the command for a reason of its own
 * (see UNAVAILABLE_REPLY_CODES), a MULTI it aborted for such a reason, or the connection failed.
 * The one place that decides it: work that fails so waits for Redis, without spending its
 * attempts (see RedisFaultRetry).
 */
export function isRedisFault(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof ReplyError) {
    const code = replyCode(error);
    if (UNAVAILABLE_REPLY_CODES.has(code)) return true;
    // A MULTI whose commands Redis refused as they were queued: ioredis keeps their errors.
    const previous = (error as { previousErrors?: unknown }).previousErrors;
    return code === 'EXECABORT' && Array.isArray(previous) && previous.some(isRedisFault);
  }
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && CONNECTION_ERROR_CODES.has(code);
}
