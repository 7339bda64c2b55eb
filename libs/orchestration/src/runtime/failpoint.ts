/**
 * Crash points for tests of recovery. A worker is given a {@link Failpoints} hook (the
 * {@link FAILPOINTS} provider); at a named point it calls `reach(name)`. The production hook,
 * {@link NO_FAILPOINTS}, does nothing and reads nothing. A test arms one point by starting a
 * worker with `SWITCHYARD_FAILPOINT=<name>`, read once when the worker's module is built (see
 * {@link failpointsFromEnvironment}): the worker then kills itself (SIGKILL, nothing cleaned up)
 * when it reaches that point, as a machine that dies right there would.
 */
export type FailpointName = 'subtasks-decided' | 'subtasks-recorded' | 'subtasks-enqueued' | 'write-back-lost' | 'root-wake-lost';

/** The failpoint hook a worker's engine is given. */
export interface Failpoints {
  /** Called at the point `name`: dies there when that point is armed. */
  reach(name: FailpointName): void;
  /** Whether the point `name` is armed, for a point that has to do something before dying. */
  armed(name: FailpointName): boolean;
}

/** The provider of the worker's {@link Failpoints}. */
export const FAILPOINTS = Symbol('FAILPOINTS');

/** No failpoint armed: every worker outside tests of recovery. */
export const NO_FAILPOINTS: Failpoints = { reach: () => undefined, armed: () => false };

/** A hook that kills the process (SIGKILL) at the point `name`, and at no other. */
export function crashAt(name: FailpointName): Failpoints {
  return {
    reach: (reached) => {
      if (reached === name) process.kill(process.pid, 'SIGKILL');
    },
    armed: (asked) => asked === name,
  };
}

/** The hook `SWITCHYARD_FAILPOINT` asks for: {@link crashAt} the point it names, else none. */
export function failpointsFromEnvironment(env: NodeJS.ProcessEnv): Failpoints {
  const name = env.SWITCHYARD_FAILPOINT as FailpointName | undefined;
  return name ? crashAt(name) : NO_FAILPOINTS;
}
