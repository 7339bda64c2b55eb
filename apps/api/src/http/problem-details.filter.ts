import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { ZodValidationException } from 'nestjs-zod';
import type { ZodError } from 'zod';
import { AgentNotFoundError, IdempotencyKeyReusedError, SessionNotFoundError, SwitchyardError, TaskNotFoundError, ValidationFailedError } from '@switchyard/orchestration';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
  /** With a failed health check: every check's result. */
  checks?: unknown;
}

const PROBLEM_BASE = 'https://switchyard.dev/problems/';

/** Redis' answers when it refuses a command for its own state (full, a replica, loading, busy), not for the command's. */
const REDIS_REFUSALS = /^(OOM|READONLY|MISCONF|NOREPLICAS|LOADING|BUSY|MASTERDOWN|EXECABORT)\b/;

function zodPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    '',
  );
}

/** Maps every error to `application/problem+json`, in one place. */
export function toProblem(exception: unknown): ProblemDetails {
  if (exception instanceof ZodValidationException) {
    const errors = (exception.getZodError() as ZodError).issues.map((issue) => ({
      path: zodPath(issue.path) || '(body)',
      message: issue.message,
    }));
    return {
      type: `${PROBLEM_BASE}validation-failed`, title: 'Validation failed', status: 400,
      detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors,
    };
  }
  if (exception instanceof ValidationFailedError) {
    return {
      type: `${PROBLEM_BASE}validation-failed`, title: 'Validation failed', status: 400,
      detail: exception.message, errors: exception.issues.map((i) => ({ path: i.path, message: i.message })),
    };
  }
  if (exception instanceof SessionNotFoundError) {
    return { type: `${PROBLEM_BASE}session-not-found`, title: 'Session not found', status: 404, detail: exception.message };
  }
  if (exception instanceof TaskNotFoundError) {
    return { type: `${PROBLEM_BASE}task-not-found`, title: 'Task not found', status: 404, detail: exception.message };
  }
  if (exception instanceof IdempotencyKeyReusedError) {
    return { type: `${PROBLEM_BASE}idempotency-key-reused`, title: 'Idempotency-Key reused', status: 422, detail: exception.message };
  }
  if (exception instanceof AgentNotFoundError) {
    return { type: `${PROBLEM_BASE}agent-not-found`, title: 'Agent not found', status: 404, detail: exception.message };
  }
  if (exception instanceof SwitchyardError) {
    return { type: `${PROBLEM_BASE}${exception.code.replace(/_/g, '-')}`, title: exception.name, status: 409, detail: exception.message };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const health = body as { status?: unknown; error?: Record<string, { message?: string }>; details?: unknown };
    if (status === 503 && health.status === 'error' && health.error) {
      // A failed health check (@nestjs/terminus): name each failing part, keep the whole report.
      const failing = Object.entries(health.error).map(([name, info]) => `${name}: ${info.message ?? 'down'}`);
      return {
        type: `${PROBLEM_BASE}unhealthy`, title: 'Service unavailable', status, detail: failing.join('; '),
        checks: health.details,
      } as ProblemDetails;
    }
    const detail = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? exception.message);
    const title = HttpStatus[status]?.toLowerCase().replace(/_/g, ' ') ?? 'error';
    return { type: `${PROBLEM_BASE}http-${status}`, title: title.charAt(0).toUpperCase() + title.slice(1), status, detail };
  }
  if (exception instanceof Error && exception.name === 'ReplyError' && REDIS_REFUSALS.test(exception.message)) {
    return {
      type: `${PROBLEM_BASE}redis-refused`, title: 'Service unavailable', status: 503,
      detail: `Redis refused a command of this request (${exception.message.split('\n')[0]}). Give Redis memory (maxmemory) or point REDIS_URL at a writable primary, then send the request again.`,
    };
  }
  const bodyError = exception as { type?: string; status?: number; message?: string };
  if (bodyError?.type === 'entity.parse.failed') {
    return { type: `${PROBLEM_BASE}malformed-json`, title: 'Malformed JSON', status: 400, detail: `The request body is not valid JSON: ${bodyError.message}` };
  }
  if (bodyError?.type === 'entity.too.large') {
    return { type: `${PROBLEM_BASE}payload-too-large`, title: 'Payload too large', status: 413, detail: 'The request body is larger than the server accepts' };
  }
  return { type: `${PROBLEM_BASE}internal`, title: 'Internal server error', status: 500, detail: 'Something went wrong on the server; the error is in its log' };
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const problem = toProblem(exception);
    if (problem.status >= 500) this.logger.error({ err: exception }, 'request failed');
    const response = host.switchToHttp().getResponse<Response>();
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}
