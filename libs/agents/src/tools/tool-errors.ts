import { loggableUrl, SwitchyardError, ValidationFailedError } from '@switchyard/orchestration';
import type { z } from 'zod';

/** A file_operations path that is malformed or leads outside the workspace directory. */
export class WorkspacePathError extends SwitchyardError {
  override readonly name = 'WorkspacePathError';
  readonly code = 'workspace_path';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Path "${path}" is refused: ${reason}`);
  }
}

/** A file_operations target that does not exist, or is not what the operation needs. */
export class WorkspaceEntryError extends SwitchyardError {
  override readonly name = 'WorkspaceEntryError';
  readonly code = 'workspace_entry';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Path "${path}": ${reason}`);
  }
}

/**
 * api_integration was asked to call a host that is not on SWITCHYARD_HTTP_ALLOWED_HOSTS. `url` is
 * the called URL's origin and path (see loggableUrl): its query string may hold a secret.
 */
export class HostNotAllowedError extends SwitchyardError {
  override readonly name = 'HostNotAllowedError';
  readonly code = 'host_not_allowed';
  readonly url: string;
  constructor(
    url: string | URL,
    readonly host: string,
  ) {
    const shown = loggableUrl(url);
    super(`Calling ${shown} is refused: host "${host}" is not in SWITCHYARD_HTTP_ALLOWED_HOSTS`);
    this.url = shown;
  }
}

/** An HTTP response larger than SWITCHYARD_HTTP_MAX_RESPONSE_BYTES; `url` is its origin and path. */
export class ResponseTooLargeError extends SwitchyardError {
  override readonly name = 'ResponseTooLargeError';
  readonly code = 'response_too_large';
  readonly url: string;
  constructor(
    url: string | URL,
    readonly limitBytes: number,
  ) {
    const shown = loggableUrl(url);
    super(`The response of ${shown} is larger than ${limitBytes} bytes (SWITCHYARD_HTTP_MAX_RESPONSE_BYTES)`);
    this.url = shown;
  }
}

/** data_analysis input that is not a table: malformed CSV or JSON, or rows of the wrong shape. */
export class DataFormatError extends SwitchyardError {
  override readonly name = 'DataFormatError';
  readonly code = 'data_format';
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${where}: ${reason}`);
  }
}

/** Parses a tool agent's input, or throws a {@link ValidationFailedError} naming every bad field as `input.<path>`. */
export function parseToolInput<S extends z.ZodType>(schema: S, input: unknown, tool: string): z.infer<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new ValidationFailedError(
    parsed.error.issues.map((issue) => ({ path: ['input', ...issue.path.map(String)].join('.'), message: issue.message })),
    `The ${tool} input is invalid`,
  );
}

/**
 * An HTTP call that got no answer within its timeout; `url` is its origin and path. Retryable:
 * the next try may be faster.
 */
export class HttpTimeoutError extends SwitchyardError {
  override readonly name = 'HttpTimeoutError';
  readonly code = 'http_timeout';
  override readonly retryable = true;
  readonly url: string;
  constructor(
    url: string | URL,
    readonly timeoutMs: number,
  ) {
    const shown = loggableUrl(url);
    super(`${shown} did not answer within ${timeoutMs} ms`);
    this.url = shown;
  }
}
