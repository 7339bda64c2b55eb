import { SwitchyardError } from '@switchyard/orchestration';

/** The model server answered, but not with a chat completion that has text. */
export class ModelResponseError extends SwitchyardError {
  override readonly name = 'ModelResponseError';
  readonly code = 'model_response_malformed';
  constructor(
    readonly url: string,
    readonly detail: string,
  ) {
    super(`The model server at ${url} sent a malformed chat completion: ${detail}`);
  }
}

/** The model server refused the request (4xx other than 429), or kept failing after every retry. */
export class ModelRequestError extends SwitchyardError {
  override readonly name = 'ModelRequestError';
  readonly code = 'model_request_failed';
  override readonly retryable: boolean;
  constructor(
    readonly url: string,
    /** The HTTP status, or undefined when no answer came (connection failed). */
    readonly status: number | undefined,
    detail: string,
  ) {
    super(`The model request to ${url} failed${status === undefined ? '' : ` with ${status}`}: ${detail}`);
    // Rate limits, server errors and lost connections may pass; a refused request will not.
    this.retryable = status === undefined || status === 429 || status >= 500;
  }
}

/** No answer from the model server within SWITCHYARD_MODEL_TIMEOUT_MS. */
export class ModelTimeoutError extends SwitchyardError {
  override readonly name = 'ModelTimeoutError';
  readonly code = 'model_timeout';
  override readonly retryable = true;
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`The model server at ${url} did not answer within ${timeoutMs} ms`);
  }
}

/**
 * The model answered, but not in the shape the agent asked for (JSON that does not parse or does
 * not match the agent's output schema). Retried like any failure: the next run asks again.
 */
export class ModelOutputError extends SwitchyardError {
  override readonly name = 'ModelOutputError';
  readonly code = 'model_output_invalid';
  override readonly retryable = true;
  constructor(
    readonly model: string,
    readonly detail: string,
  ) {
    super(`The model ${model} did not answer in the shape asked for: ${detail}`);
  }
}

/** The model kept asking for tools past the agent's `maxSteps`. */
export class ToolLoopError extends SwitchyardError {
  override readonly name = 'ToolLoopError';
  readonly code = 'tool_steps_exhausted';
  constructor(readonly maxSteps: number) {
    super(`The model still asked for tools after ${maxSteps} steps (maxSteps)`);
  }
}
