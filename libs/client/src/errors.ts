/** One culprit of a validation failure: where in the request, and what is wrong with it. */
export interface ProblemIssue {
  path: string;
  message: string;
}

/** The fields of an `application/problem+json` answer (RFC 9457) as the API sends them. */
export interface ProblemFields {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: ProblemIssue[];
}

/**
 * An answer of the API with a 4xx or 5xx status, carrying its problem+json fields. Catch the
 * family (`ClientError`, `ServerError`) or the status (`NotFoundError`, ...) you handle.
 */
export class ApiError extends Error implements ProblemFields {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The culprits of a validation failure (400); empty otherwise. */
  readonly errors: ProblemIssue[];
  /** Seconds to wait before trying again, from the `Retry-After` header (429, 503). */
  readonly retryAfterS?: number;

  constructor(problem: ProblemFields, retryAfterS?: number) {
    super(problem.detail || problem.title);
    this.name = new.target.name;
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.errors = problem.errors;
    this.retryAfterS = retryAfterS;
  }
}

/** A 4xx: the request is refused as it is; sending it again will not help. */
export class ClientError extends ApiError {}
/** 400: the body, query or path is malformed; `errors` names every culprit. */
export class BadRequestError extends ClientError {}
/** 401: no API key, or one the API does not know. */
export class UnauthorizedError extends ClientError {}
/** 403: the key's role may not do this. */
export class ForbiddenError extends ClientError {}
/** 404: no such session, task, agent or route (or not this tenant's). */
export class NotFoundError extends ClientError {}
/** 409: the thing is not in a state that allows it (a finished session, a task not paused). */
export class ConflictError extends ClientError {}
/** 429: too many requests; `retryAfterS` says when to try again. */
export class TooManyRequestsError extends ClientError {}
/** A 5xx: the API or its Redis failed; the request may succeed later. */
export class ServerError extends ApiError {}
/** 503: Redis is unreachable or the API is not ready; `retryAfterS` says when to try again. */
export class ServiceUnavailableError extends ServerError {}

/** No HTTP answer at all: the API is unreachable, the connection broke, or the request timed out. */
export class ConnectionError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach ${url}: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`, { cause });
    this.name = 'ConnectionError';
  }
}

const BY_STATUS: Record<number, typeof ApiError> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  429: TooManyRequestsError,
  503: ServiceUnavailableError,
};

/** Reads the problem fields out of an answer's body, whatever it holds (a proxy's HTML page, say). */
function problemOf(status: number, statusText: string, body: unknown): ProblemFields {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const text = (value: unknown, fallback: string) => (typeof value === 'string' && value.length > 0 ? value : fallback);
  const title = text(fields.title, statusText || `HTTP ${status}`);
  const issues = Array.isArray(fields.errors)
    ? fields.errors
        .filter((issue): issue is Record<string, unknown> => typeof issue === 'object' && issue !== null)
        .map((issue) => ({ path: String(issue.path ?? ''), message: String(issue.message ?? '') }))
    : [];
  return {
    type: text(fields.type, 'about:blank'),
    title,
    status: typeof fields.status === 'number' ? fields.status : status,
    detail: text(fields.detail, typeof body === 'string' && body.length > 0 ? body.slice(0, 500) : title),
    errors: issues,
  };
}

/** The typed error for an answer with status `status`: the class of its status, else of its family. */
export function errorFromAnswer(status: number, statusText: string, body: unknown, retryAfter: string | null): ApiError {
  const type = BY_STATUS[status] ?? (status >= 500 ? ServerError : status >= 400 ? ClientError : ApiError);
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return new type(problemOf(status, statusText, body), seconds);
}
