/**
 * Crash points for tests of recovery: a worker started with `SWITCHYARD_FAILPOINT=<name>` kills
 * itself (SIGKILL, nothing cleaned up) when it reaches the point of that name, as a machine that
 * dies right there would. Unset (always, outside such tests), a failpoint does nothing.
 */
const armed = process.env.SWITCHYARD_FAILPOINT;

export type FailpointName = 'subtasks-decided' | 'subtasks-recorded' | 'subtasks-enqueued' | 'write-back-lost' | 'root-wake-lost';

export function failpoint(name: FailpointName): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}

/** Whether the failpoint `name` is armed, for a point that has to do something before dying. */
export function failpointArmed(name: FailpointName): boolean {
  return armed === name;
}
