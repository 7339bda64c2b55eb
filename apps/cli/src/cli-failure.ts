import { CommanderError } from 'commander';
import {
  ApiError,
  BadRequestError,
  ClientError,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  ServerError,
  TooManyRequestsError,
  UnauthorizedError,
} from '@switchyard/client';

/** Exit codes: a run that completed (or any other success), a run that failed or was cancelled, anything refused or unreachable. */
export const EXIT = { ok: 0, runFailed: 1, refused: 2 } as const;

/** A refusal of the CLI's own (bad arguments, a file it cannot read): one line, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What to do about an API error, by its class. */
function advice(error: ApiError, baseUrl: string): string {
  if (error instanceof UnauthorizedError) return `set SWITCHYARD_API_KEY to a key the API at ${baseUrl} knows (npm run apikey makes one)`;
  if (error instanceof ForbiddenError) return 'use a key with a higher role (operator to start, cancel and resolve; admin for the rest)';
  if (error instanceof NotFoundError) return 'check the id (switchyard sessions list shows your sessions)';
  if (error instanceof BadRequestError) return 'fix what it names and try again';
  if (error instanceof ConflictError) return 'check the session with switchyard sessions show ID';
  if (error instanceof TooManyRequestsError) return `wait ${error.retryAfterS ?? 'a few'} s and try again`;
  if (error instanceof ServerError) return `try again later; the API's log says more`;
  return 'check the request';
}

/** The one line an error ends the CLI with, and its exit code. */
export function describeFailure(error: unknown, baseUrl: string): { line: string; code: number } {
  if (error instanceof UsageError) return { line: `switchyard: ${error.message}`, code: EXIT.refused };
  if (error instanceof ConnectionError) {
    return { line: `switchyard: ${error.message}; is the API running there? Set SWITCHYARD_URL to its address`, code: EXIT.refused };
  }
  if (error instanceof ApiError) {
    const issues = error.errors.length > 0 ? error.errors.map((issue) => `${issue.path}: ${issue.message}`).join('; ') : error.detail;
    const kind = error instanceof ClientError ? 'refused' : 'failed';
    return { line: `switchyard: the API ${kind} it (${error.status} ${error.title}): ${issues}; ${advice(error, baseUrl)}`, code: EXIT.refused };
  }
  if (error instanceof CommanderError) return { line: '', code: error.exitCode === 0 ? EXIT.ok : EXIT.refused };
  return { line: `switchyard: ${error instanceof Error ? error.message : String(error)}`, code: EXIT.refused };
}
