import { jobIds, ROOT_WAITER, SESSION_QUEUE } from '../redis/keys';

/** A task that waits for another, by its job: its queue ('' for a parent, known by its id alone). See TaskRef. */
export interface Waiter {
  readonly id: string;
  readonly queue: string;
  /** Its only prerequisite is the task that lists it: that task's write-back always makes it ready. */
  readonly sole?: true;
}

/** What the resolver reads of a task: whom it tells when it finishes. */
export interface WaitedFor {
  readonly dependants: readonly Waiter[];
  readonly parentId: string | null;
}

/** The session's root job, as a task's waiter: it waits for the top-level tasks (see buildSessionFlow). */
export const ROOT: Waiter = { id: ROOT_WAITER, queue: SESSION_QUEUE };

/**
 * Whom a task's write-back tells: its dependants, and its parent (known by its id alone: BullMQ
 * moves its job on itself) or, for a top-level task, the session's root job.
 */
export function waitersOf(task: WaitedFor): Waiter[] {
  return [...task.dependants, task.parentId ? { id: task.parentId, queue: '' } : ROOT];
}

/** The job of a waiter that a write-back left ready: a task's, or the session's root job. */
export const waiterJobId = (sessionId: string, waiter: Waiter): string =>
  waiter.id === ROOT_WAITER ? jobIds.root(sessionId) : jobIds.task(sessionId, waiter.id);

/**
 * The waiters a write-back left ready that still need a promotion: not the parent (BullMQ moves
 * its job on once this one finished), nor the dependants already promoted right behind the
 * write-back (those that wait for this task alone).
 */
export function toPromote<W extends Waiter>(ready: readonly W[], task: Pick<WaitedFor, 'parentId'>, promoted: ReadonlySet<Waiter>): W[] {
  return ready.filter((waiter) => waiter.id !== task.parentId && !promoted.has(waiter));
}

/** The dependants whose only prerequisite is the task: its write-back always makes them ready. */
export const soleDependants = <W extends Waiter>(task: { readonly dependants: readonly W[] }): W[] => task.dependants.filter((waiter) => waiter.sole);
