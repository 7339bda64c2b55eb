import type { DeltaEventData } from '@switchyard/client';

/** Characters of a task's streamed text shown on one line before it is broken (so a long answer without newlines still shows as it comes), off a terminal. */
export const DELTA_LINE_CHARS = 100;

/** Control characters (ANSI escapes, carriage returns, ...) would move the cursor and garble the progress bar: they show as `\uXXXX`. */
const visible = (text: string) =>
  // eslint-disable-next-line no-control-regex -- control characters are what it must find
  text.replace(/\t/g, '  ').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The streamed text of running tasks as whole lines, each prefixed by its task: pieces are held
 * per task until a newline (or `lineChars` of them) ends a line, so tasks streaming at the
 * same time interleave by line, never inside one.
 */
export class DeltaLines {
  private readonly pending = new Map<string, { attempt: number; text: string }>();

  constructor(
    private readonly print: (taskId: string, text: string) => void,
    private readonly lineChars = DELTA_LINE_CHARS,
  ) {}

  /** A delta event: prints the lines it completes. */
  add(delta: DeltaEventData): void {
    if (delta.truncated) {
      this.flush(delta.taskId);
      this.print(delta.taskId, '[more streamed text was not kept: the task reached its cap of stored deltas]');
      return;
    }
    const held = this.pending.get(delta.taskId);
    // A new attempt starts its text over: what the last one left unfinished is shown first.
    if (held && held.attempt !== delta.attempt) this.flush(delta.taskId);
    let text = (this.pending.get(delta.taskId)?.text ?? '') + delta.text;
    for (;;) {
      const newline = text.indexOf('\n');
      const end = newline >= 0 && newline <= this.lineChars ? newline : text.length > this.lineChars ? this.lineChars : -1;
      if (end < 0) break;
      this.print(delta.taskId, visible(text.slice(0, end)));
      text = text.slice(newline === end ? end + 1 : end);
    }
    if (text) this.pending.set(delta.taskId, { attempt: delta.attempt, text });
    else this.pending.delete(delta.taskId);
  }

  /** Prints what a task (or, without one, every task) streamed since its last whole line. */
  flush(taskId?: string): void {
    for (const id of taskId === undefined ? [...this.pending.keys()] : [taskId]) {
      const held = this.pending.get(id);
      if (!held) continue;
      this.pending.delete(id);
      this.print(id, visible(held.text));
    }
  }
}
