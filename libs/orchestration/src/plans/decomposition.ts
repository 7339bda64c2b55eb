import type { TaskSpec } from './plan.schema';

/**
 * What an agent returns to split its task at run time: new tasks (with their own children and
 * dependencies, on each other or on finished tasks of the session) that join the session under
 * the agent's task. The task completes once they have, with `output` if given, or else with the
 * results of its new top-level subtasks, keyed by id.
 */
export class Decomposition {
  constructor(
    readonly tasks: readonly TaskSpec[],
    readonly output?: unknown,
  ) {}
}

/** Returns subtasks from an agent's run: `return spawnSubtasks([...])`. */
export function spawnSubtasks(tasks: readonly TaskSpec[], options: { output?: unknown } = {}): Decomposition {
  return new Decomposition(tasks, options.output);
}
