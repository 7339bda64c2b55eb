import { Job, UnrecoverableError } from 'bullmq';
import { SwitchyardError } from './errors';

/** A failure as a session's records keep it: the error's name and message, and the task it failed. */
export interface FailureInfo {
  readonly message: string;
  readonly name?: string;
  readonly taskId?: string;
  /** A failure with a code of its own: `budget_exceeded`, with `limit`, `used` and `budget`. */
  readonly code?: string;
  readonly limit?: string;
  readonly used?: number;
  readonly budget?: Readonly<Record<string, number>>;
}

export function failureInfo(error: unknown, taskId?: string): FailureInfo {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, ...(taskId ? { taskId } : {}) };
}

/**
 * Whether a failed attempt is the last one: the error cannot be retried (by its type), or the
 * job has used its attempts. The same rule BullMQ applies, decided before BullMQ sees the error.
 */
export function isFinalAttempt(job: Job, error: unknown): boolean {
  const retryable = !(error instanceof UnrecoverableError) && !(error instanceof SwitchyardError && !error.retryable);
  return !retryable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
