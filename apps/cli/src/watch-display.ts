import { MultiBar, Presets, SingleBar } from 'cli-progress';
import type { SessionEvent, TaskStatus } from '@switchyard/client';
import { DELTA_LINE_CHARS, DeltaLines } from './delta-lines';

const DONE: TaskStatus[] = ['completed', 'failed', 'skipped', 'cancelled'];

/**
 * What `run --watch` shows of a session's events: a line per transition, the text the running
 * tasks stream (their `delta` events, as whole lines prefixed by the task, see DeltaLines) and, on
 * a terminal, a progress bar of the tasks finished below them (cli-progress: lines go through its
 * log, which writes them above the bar at its next redraw). Off a terminal (a pipe, a file) the
 * lines come alone, as the bar cannot redraw there.
 */
export class WatchDisplay {
  private readonly tasks = new Map<string, TaskStatus>();
  private readonly bars?: MultiBar;
  private readonly bar?: SingleBar;
  private readonly deltas: DeltaLines;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    // On a terminal a line of streamed text fits its width after the 29 characters of the prefix.
    const lineChars = stream.isTTY && stream.columns ? Math.max(20, stream.columns - 29) : DELTA_LINE_CHARS;
    this.deltas = new DeltaLines((taskId, text) => this.write(`  delta     ${taskId.padEnd(16)} ${text}`), lineChars);
    if (!stream.isTTY) return;
    this.bars = new MultiBar(
      { stream, format: ' {bar} {value}/{total} tasks done | session {status}', hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    this.bar = this.bars.create(0, 0, { status: 'pending' });
  }

  show(event: SessionEvent): void {
    if (event.event === 'task') {
      // What a task streamed before it changed status shows before the change.
      this.deltas.flush(event.data.taskId);
      this.tasks.set(event.data.taskId, event.data.status);
      const where = event.data.agentId ? `  ${event.data.agentId}${event.data.attempt ? ` (attempt ${event.data.attempt})` : ''}` : '';
      this.write(`  task      ${event.data.taskId.padEnd(16)} ${event.data.status}${where}`);
    } else if (event.event === 'session') {
      this.deltas.flush();
      this.bar?.update({ status: event.data.status });
      this.write(`  session   ${event.data.status}`);
    } else if (event.event === 'delta') {
      this.deltas.add(event.data);
    } else {
      this.write(`  log       ${event.data.level.padEnd(16)} ${event.data.message}`);
    }
    const done = [...this.tasks.values()].filter((status) => DONE.includes(status)).length;
    this.bar?.setTotal(this.tasks.size);
    this.bar?.update(done);
  }

  stop(): void {
    this.deltas.flush();
    // A redraw writes the lines logged since the last one; stop() alone would drop them.
    this.bars?.update();
    this.bars?.stop();
  }

  private write(line: string): void {
    if (this.bars) this.bars.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }
}
