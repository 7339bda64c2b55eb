import type { DeltaEventData } from '@switchyard/client';

/**
 * The text each task's model streamed (SSE `delta` events), per task its latest attempt only.
 * A reopened stream replays the session's events from its start, so a delta already seen (same
 * attempt, `seq` not beyond the last one) is dropped rather than appended twice.
 */
export class DeltaText {
  private readonly byTask = new Map<string, { attempt: number; seq: number; text: string }>();

  /** Adds one delta; answers whether it changed the task's text. */
  add(delta: DeltaEventData): boolean {
    const known = this.byTask.get(delta.taskId);
    if (known && (delta.attempt < known.attempt || (delta.attempt === known.attempt && delta.seq <= known.seq))) return false;
    const text = known && known.attempt === delta.attempt ? known.text + delta.text : delta.text;
    this.byTask.set(delta.taskId, { attempt: delta.attempt, seq: delta.seq, text });
    return true;
  }

  /** The task's streamed text and the attempt it belongs to, or undefined before its first delta. */
  of(taskId: string): { attempt: number; text: string } | undefined {
    const known = this.byTask.get(taskId);
    return known && { attempt: known.attempt, text: known.text };
  }
}
