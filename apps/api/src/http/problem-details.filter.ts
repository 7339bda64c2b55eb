import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { ZodValidationException } from 'nestjs-zod';
import type { ZodError } from 'zod';
import {
  AdmissionTimeoutError,
  AgentConflictError,
  AgentDefinitionError,
  AgentNotFoundError,
  AgentUnavailableError,
  DeploymentMismatchError,
  ShardTagSlotError,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidAgentOutputError,
  StepResultError,
  NoCapableAgentError,
  OutputTooLargeError,
  RedisUnavailableError,
  RemoteAgentFailedError,
  RemoteAgentNotFoundError,
  RemoteLeaseConflictError,
  RemoteLeaseLostError,
  SessionCancelledError,
  SessionFinishedError,
  SessionNotFoundError,
  SessionOutputsFullError,
  TaskJobFailedError,
  StateConflictError,
  StateLockExpiredError,
  StateLockUnavailableError,
  StatePermissionError,
  StateTransactionClosedError,
  StateValueError,
  SwitchyardError,
  TaskNotFoundError,
  TaskNotPausedError,
  SignalNotAwaitedError,
  SignalDeliveredError,
  SessionNotForkableError,
  TaskTimeoutError,
  SignalTimeoutError,
  ValidationFailedError,
} from '@switchyard/orchestration';

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
const isRedisRefusal = (exception: unknown): exception is Error =>
  exception instanceof Error && exception.name === 'ReplyError' && REDIS_REFUSALS.test(exception.message);
/** Retry-After of a 503 for Redis' refusal: it may take writes again any moment (memory freed, a failover done). */
const REDIS_REFUSED_RETRY_AFTER_S = 1;

/** Seconds a client should wait before it sends again a request that Redis could not serve. Never throws. */
function retryAfterOf(exception: unknown): number | undefined {
  try {
    if (exception instanceof RedisUnavailableError) return exception.retryAfterSeconds;
    return isRedisRefusal(exception) ? REDIS_REFUSED_RETRY_AFTER_S : undefined;
  } catch {
    return undefined;
  }
}

function zodPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

export interface ErrorMapping {
  readonly status: number;
  readonly title: string;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Thrown in workers only: should one reach the API, it is the server's fault. */
const WORKER_ONLY: ErrorMapping = { status: 500, title: 'Internal server error' };

/**
 * The answer to each typed error, by its own class: a subclass is not answered by its parent's
 * entry, and a class missing here is a 500 (a unit test checks that every exported class is here).
 * The problem's `type` ends with the error's `code`.
 */
export const ERROR_STATUS: ReadonlyMap<ErrorClass, ErrorMapping> = new Map<ErrorClass, ErrorMapping>([
  [ValidationFailedError, { status: 400, title: 'Validation failed' }],
  [StateValueError, { status: 400, title: 'Validation failed' }],
  [StatePermissionError, { status: 403, title: 'Forbidden' }],
  [SessionNotFoundError, { status: 404, title: 'Session not found' }],
  [TaskNotFoundError, { status: 404, title: 'Task not found' }],
  [AgentNotFoundError, { status: 404, title: 'Agent not found' }],
  [AgentConflictError, { status: 409, title: 'Agent already registered' }],
  [SessionFinishedError, { status: 409, title: 'Session finished' }],
  [SessionCancelledError, { status: 409, title: 'Session cancelled' }],
  [TaskNotPausedError, { status: 409, title: 'Task not paused' }],
  [SignalNotAwaitedError, { status: 404, title: 'Signal not awaited' }],
  [SignalDeliveredError, { status: 409, title: 'Signal already delivered' }],
  [SessionNotForkableError, { status: 409, title: 'Session not forkable' }],
  [IdempotencyKeyInUseError, { status: 409, title: 'Idempotency-Key in use' }],
  [IdempotencyKeyReusedError, { status: 422, title: 'Idempotency-Key reused' }],
  [StateConflictError, { status: 409, title: 'State conflict' }],
  [StateLockUnavailableError, { status: 409, title: 'State locked' }],
  [StateLockExpiredError, { status: 409, title: 'State lock expired' }],
  [DeploymentMismatchError, { status: 409, title: 'Deployment mismatch' }],
  [RemoteAgentNotFoundError, { status: 404, title: 'Agent not found' }],
  [RemoteLeaseConflictError, { status: 409, title: 'Lease not held' }],
  [RemoteLeaseLostError, WORKER_ONLY],
  [RemoteAgentFailedError, WORKER_ONLY],
  [NoCapableAgentError, WORKER_ONLY],
  [AgentUnavailableError, WORKER_ONLY],
  [AdmissionTimeoutError, WORKER_ONLY],
  [TaskTimeoutError, WORKER_ONLY],
  [SignalTimeoutError, WORKER_ONLY],
  [InvalidAgentOutputError, WORKER_ONLY],
  [StepResultError, WORKER_ONLY],
  [OutputTooLargeError, WORKER_ONLY],
  [SessionOutputsFullError, WORKER_ONLY],
  [TaskJobFailedError, WORKER_ONLY],
  [AgentDefinitionError, WORKER_ONLY],
  // Thrown at boot, before the API answers anything.
  [ShardTagSlotError, WORKER_ONLY],
  [StateTransactionClosedError, WORKER_ONLY],
  // Answered before the table is read (see describe), with a Retry-After.
  [RedisUnavailableError, { status: 503, title: 'Service unavailable' }],
]);

const INTERNAL: ProblemDetails = {
  type: `${PROBLEM_BASE}internal`,
  title: 'Internal server error',
  status: 500,
  detail: 'Something went wrong on the server; the error is in its log',
};

/**
 * Maps every error to `application/problem+json`, in one place. Never throws: whatever shape the
 * error has (or a mapping that fails on it), the answer is a well-formed problem that JSON can write.
 */
export function toProblem(exception: unknown): ProblemDetails {
  try {
    const problem = describe(exception);
    JSON.stringify(problem);
    return problem;
  } catch {
    return INTERNAL;
  }
}

function describe(exception: unknown): ProblemDetails {
  if (exception instanceof ZodValidationException) return zodProblem(exception.getZodError());
  // Before the table: its answer names no server and tells when to send the request again.
  if (exception instanceof RedisUnavailableError) {
    return {
      type: `${PROBLEM_BASE}redis-unavailable`,
      title: 'Service unavailable',
      status: 503,
      detail: 'This request needs Redis, which does not answer now; send it again after the number of seconds in Retry-After',
    };
  }
  if (exception instanceof SwitchyardError) return typedProblem(exception);
  if (exception instanceof HttpException) return httpProblem(exception);
  if (isRedisRefusal(exception)) {
    return {
      type: `${PROBLEM_BASE}redis-refused`,
      title: 'Service unavailable',
      status: 503,
      detail: `Redis refused a command of this request (${exception.message.split('\n')[0]}). Give Redis memory (maxmemory) or point REDIS_URL at a writable primary, then send the request again.`,
    };
  }
  return bodyReadProblem(exception) ?? INTERNAL;
}

/** A typed error, answered by its class' entry in {@link ERROR_STATUS}. */
function typedProblem(exception: SwitchyardError): ProblemDetails {
  const mapping = ERROR_STATUS.get(exception.constructor as ErrorClass);
  if (!mapping || mapping.status >= 500) return INTERNAL;
  const problem: ProblemDetails = {
    type: `${PROBLEM_BASE}${exception.code.replace(/_/g, '-')}`,
    title: mapping.title,
    status: mapping.status,
    detail: exception.message,
  };
  if (exception instanceof ValidationFailedError) problem.errors = exception.issues.map((i) => ({ path: i.path, message: i.message }));
  return problem;
}

/** A schema's verdict; a schema that failed to run at all (it overflowed the call stack, say) is no verdict. */
function zodProblem(error: unknown): ProblemDetails {
  const issues = (error as Partial<ZodError> | undefined)?.issues;
  if (!Array.isArray(issues)) {
    if (error instanceof RangeError) {
      return { type: `${PROBLEM_BASE}validation-failed`, title: 'Validation failed', status: 400, detail: 'The request is too deeply nested to be validated' };
    }
    return INTERNAL;
  }
  const errors = issues.map((issue: { path?: readonly PropertyKey[]; message?: unknown }) => ({
    path: zodPath(Array.isArray(issue?.path) ? issue.path : []) || '(body)',
    message: String(issue?.message ?? 'is invalid'),
  }));
  return {
    type: `${PROBLEM_BASE}validation-failed`,
    title: 'Validation failed',
    status: 400,
    detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  };
}

function httpProblem(exception: HttpException): ProblemDetails {
  const status = exception.getStatus();
  const body: unknown = exception.getResponse();
  const health = (body ?? {}) as { status?: unknown; error?: Record<string, { message?: string } | undefined>; details?: unknown };
  if (status === 503 && health.status === 'error' && health.error && typeof health.error === 'object') {
    // A failed health check (@nestjs/terminus): name each failing part, keep the whole report.
    const failing = Object.entries(health.error).map(([name, info]) => `${name}: ${info?.message ?? 'down'}`);
    return {
      type: `${PROBLEM_BASE}unhealthy`,
      title: 'Service unavailable',
      status,
      detail: failing.join('; '),
      checks: health.details,
    };
  }
  const message = typeof body === 'string' ? body : ((body as { message?: unknown } | null)?.message ?? exception.message);
  const detail = Array.isArray(message) ? message.map(String).join('; ') : String(message);
  return { type: `${PROBLEM_BASE}http-${status}`, title: titleOf(status), status, detail };
}

function titleOf(status: number): string {
  const name = (HttpStatus[status] as string | undefined)?.toLowerCase().replace(/_/g, ' ') ?? 'error';
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * An error of reading the body (body-parser marks them with `type` and a 4xx `status`), or of
 * decoding it by its Content-Encoding (a zlib error body-parser passed on with status 400).
 */
function bodyReadProblem(exception: unknown): ProblemDetails | undefined {
  if (exception === null || typeof exception !== 'object') return undefined;
  const error = exception as {
    type?: unknown;
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
    charset?: unknown;
    encoding?: unknown;
    errno?: unknown;
  };
  const status = typeof error.status === 'number' ? error.status : error.statusCode;
  switch (error.type) {
    case 'entity.parse.failed':
      return {
        type: `${PROBLEM_BASE}malformed-json`,
        title: 'Malformed JSON',
        status: 400,
        detail: `The request body is not valid JSON: ${String(error.message)}`,
      };
    case 'entity.too.large':
      return {
        type: `${PROBLEM_BASE}payload-too-large`,
        title: 'Payload too large',
        status: 413,
        detail: 'The request body is larger than the server accepts',
      };
    case 'charset.unsupported':
      return {
        type: `${PROBLEM_BASE}unsupported-charset`,
        title: 'Unsupported media type',
        status: 415,
        detail: `The request body's charset ${String(error.charset ?? '').toUpperCase() || '(unnamed)'} is not supported: send JSON in UTF-8`,
      };
    case 'encoding.unsupported':
      return {
        type: `${PROBLEM_BASE}unsupported-encoding`,
        title: 'Unsupported media type',
        status: 415,
        detail: `Content-Encoding "${String(error.encoding)}" is not supported: send the body as it is, or encoded with gzip, deflate or br`,
      };
  }
  if (typeof status !== 'number' || status < 400 || status > 499 || error.expose === false) return undefined;
  if (error.type === undefined && typeof error.errno === 'number') {
    return {
      type: `${PROBLEM_BASE}undecodable-body`,
      title: 'Bad request',
      status: 400,
      detail: `The request body does not decode as its Content-Encoding says (${String(error.message)}); send it as it is, without Content-Encoding, or encoded as the header says`,
    };
  }
  return { type: `${PROBLEM_BASE}http-${status}`, title: titleOf(status), status, detail: typeof error.message === 'string' ? error.message : titleOf(status) };
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const problem = toProblem(exception);
    if (problem.status >= 500) this.log(exception);
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) {
      // A streamed answer failed midway: its status is gone, so cut it short for the client to see.
      if (problem.status < 500) this.log(exception);
      response.destroy();
      return;
    }
    const retryAfter = problem.status === 503 ? retryAfterOf(exception) : undefined;
    if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private log(exception: unknown): void {
    try {
      this.logger.error({ err: exception }, 'request failed');
    } catch {
      this.logger.error('request failed with an error that cannot be logged');
    }
  }
}
