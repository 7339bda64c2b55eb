import { Decomposition } from '../plans/decomposition';
import { OutputTooLargeError, SessionOutputsFullError } from '../errors/errors';
import { json } from '../sessions/json-fields';

/** What tasks may store (SWITCHYARD_MAX_OUTPUT_BYTES, SWITCHYARD_MAX_SESSION_BYTES). */
export interface OutputLimits {
  readonly maxOutputBytes: number;
  readonly maxSessionBytes: number;
}

/** The bytes an output takes stored: its JSON, in UTF-8, as the write-back sends it. */
export function storedBytes(output: unknown): number {
  return Buffer.byteLength(json(output));
}

/**
 * Checks an output before anything of it is written to Redis: an agent's output, or the subtasks
 * (with their output) of a {@link Decomposition}, is at most `maxOutputBytes` as JSON; an output
 * fits in what its session may still store, given the `heldBytes` its stored outputs took when
 * the task started. (The write-back checks the session's bound again, atomically, counting the
 * tasks that finished since: see scripts/includes/finish.lua.) Throws
 * {@link OutputTooLargeError} or {@link SessionOutputsFullError}, neither of which is retried.
 */
export function checkOutput(task: { sessionId: string; taskId: string }, output: unknown, limits: OutputLimits, heldBytes = 0): void {
  if (output instanceof Decomposition) {
    const bytes = storedBytes({ tasks: output.tasks, output: output.output });
    if (bytes > limits.maxOutputBytes) throw new OutputTooLargeError(task.taskId, bytes, limits.maxOutputBytes, 'subtasks');
    return;
  }
  const bytes = storedBytes(output);
  if (bytes > limits.maxOutputBytes) throw new OutputTooLargeError(task.taskId, bytes, limits.maxOutputBytes);
  if (heldBytes + bytes > limits.maxSessionBytes) throw new SessionOutputsFullError(task.sessionId, task.taskId, bytes, heldBytes, limits.maxSessionBytes);
}
