import type { TaskSpec } from '@switchyard/client';
import { duration } from './dom';

/** Every task's spec in a plan, by id (one pass, for the graph's notes). */
export function specsById(tasks: readonly TaskSpec[] | undefined, into = new Map<string, TaskSpec>()): Map<string, TaskSpec> {
  for (const task of tasks ?? []) {
    into.set(task.id, task);
    specsById(task.children, into);
  }
  return into;
}

/** The line a node shows for a task that runs no agent: the signal it waits for, or how long it waits. */
export function kindNote(spec: TaskSpec | undefined): string | undefined {
  if (spec?.kind === 'signal' && spec.signal) return `signal “${spec.signal}”`;
  if (spec?.kind === 'wait') return spec.until ? `until ${new Date(spec.until).toLocaleTimeString()}` : `wait ${duration(spec.durationMs ?? 0)}`;
  return undefined;
}
