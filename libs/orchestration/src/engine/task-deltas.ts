import type { TaskLogger } from '../agents/agent-contract';
import type { AppendDeltasCall, AppendDeltasReply } from './scripts/append-deltas';

/** Where a run's deltas go: the session's event stream (append-deltas.lua), or a test's fake. */
export type DeltaAppender = (call: AppendDeltasCall) => Promise<AppendDeltasReply>;

/** The run a {@link TaskDeltas} streams for. */
export interface DeltaRun {
  readonly session: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly cap: number;
}

/**
 * The deltas of one task attempt: `emit` is synchronous for the agent; the pieces emitted while a
 * batch is on its way to Redis go together in the next one, so a chatty agent costs one round
 * trip at a time, not one per token, and a quiet one adds no delay. The seq of each piece is its
 * place in the attempt, counted here. A failed append is logged and its pieces are lost: a delta
 * is a view of output in progress, never the output.
 */
export class TaskDeltas {
  private seq = 0;
  private pending: string[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly run: DeltaRun,
    private readonly append: DeltaAppender,
    private readonly log: () => TaskLogger,
  ) {}

  emit(text: string): void {
    if (typeof text !== 'string' || text.length === 0) return;
    this.pending.push(text);
    this.draining ??= this.drain();
  }

  /** Resolves once every piece emitted so far is on the stream (or dropped). */
  async flushed(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // Let the pieces emitted in the same tick join the first batch.
    await Promise.resolve();
    try {
      while (this.pending.length > 0) {
        const texts = this.pending;
        this.pending = [];
        const firstSeq = this.seq;
        this.seq += texts.length;
        await this.send(firstSeq, texts);
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async send(firstSeq: number, texts: string[]): Promise<void> {
    const { session, taskId, attempt, cap } = this.run;
    try {
      const reply = await this.append({ session, taskId, attempt, firstSeq, cap, texts });
      if (reply.marked)
        this.log().warn('deltas dropped: the task reached its cap of stored deltas (SWITCHYARD_MAX_TASK_DELTAS)', { cap, seq: firstSeq + reply.stored });
    } catch (error) {
      this.log().warn('deltas lost: Redis refused them', { count: texts.length, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
