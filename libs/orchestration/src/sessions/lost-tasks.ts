import type { ShardTag } from '../redis/keys';

/** The token of {@link LostTasks}, which the worker's module binds to the engine's recovery. */
export const LOST_TASKS = Symbol('LOST_TASKS');

/**
 * What a session's finalizer asks of the engine when it checks on a session still pending: tasks
 * whose job finished without their task recording it. (An interface here, so that sessions/, a
 * floor above nothing of the engine, does not import it.)
 */
export interface LostTasks {
  /** Writes back the tasks among `taskIds` whose jobs completed without their write-back; answers how many. */
  recoverFromJobs(tag: ShardTag, sessionId: string, taskIds: readonly string[]): Promise<number>;
  /** Ends by their failure policy the unfinished tasks whose job failed for good unrecorded; answers how many. */
  endFailedJobs(tag: ShardTag, sessionId: string): Promise<number>;
}
