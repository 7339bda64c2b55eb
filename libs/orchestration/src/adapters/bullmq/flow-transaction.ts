import type { Redis } from 'ioredis';
import type { Job, Queue } from 'bullmq';

/** What BullMQ's flow insert takes for one job (public: `Job.toFlowEntry`). */
export type FlowEntry = ReturnType<Job['toFlowEntry']>;

/**
 * Records the commands BullMQ's inserts and promotions would put in a MULTI, to be sent later with the rest of a
 * transaction. BullMQ calls `runCommand` on it only; an ioredis MULTI would instead copy every
 * script BullMQ defines on the connection (about 60) into itself before its first command.
 */
export class FlowTransaction {
  private readonly commands: [name: string, args: unknown[]][] = [];

  /** BullMQ's recording hook: keeps the command, answers itself as a MULTI would. */
  runCommand(name: string, args: unknown[]): this {
    this.commands.push([name, args]);
    return this;
  }

  /** How many commands are recorded. */
  get size(): number {
    return this.commands.length;
  }

  /**
   * Records the insert of one flow job with `queue` (BullMQ's own `addJobToTransaction`), its
   * parent (if any) left waiting: {@link releaseParent} lets it go once the whole tree is in.
   */
  addJob(queue: Queue, entry: FlowEntry): void {
    // It answers a promise of what EXEC will answer, which nobody reads: the replies come from
    // the transaction itself.
    void queue.backend.addJobToTransaction(this as never, entry.jobData, entry.jobId, { ...entry.parentKeyOpts, deferParentRelease: true }, queue.keys);
  }

  /**
   * Records BullMQ's release of a flow's parent job (`releaseParentIfNoPendingDependencies`):
   * with no child left to wait for, it moves to its wait list.
   */
  releaseParent(queue: Queue, parent: { key: string; id: string; queueKey: string }, now: number): void {
    queue.backend.execCommand(this as never, 'releaseParentIfNoPendingDependencies', [
      parent.key,
      `${parent.key}:dependencies`,
      parent.queueKey,
      parent.id,
      now,
    ]);
  }

  /**
   * Records BullMQ's promotion of a delayed job of `queue` (the `promote` script, with the keys
   * and arguments `Job.promote` gives it): the job moves to its wait list (or its priority's
   * place). Its reply is 0, or a negative code when the job is not delayed (then nothing moved).
   */
  promote(queue: Queue, jobId: string): void {
    const { keys } = queue;
    const scriptKeys = [keys.delayed, keys.wait, keys.paused, keys.meta, keys.prioritized, keys.active, keys.pc, keys.events, keys.marker];
    void queue.backend.execCommand(this as never, 'promote', [...scriptKeys, queue.toKey(''), jobId]);
  }

  /** Sends every recorded command, in order, with `client` (on which BullMQ defined its scripts). */
  sendWith(client: Redis): Promise<unknown>[] {
    const commands = client as unknown as Record<string, (args: unknown[]) => Promise<unknown>>;
    return this.commands.map(([name, args]) => commands[name](args));
  }
}
