import { MultiBar, Presets, SingleBar } from 'cli-progress';
import type { SessionEvent, TaskStatus } from '@switchyard/client';

const DONE: TaskStatus[] = ['completed', 'failed', 'skipped', 'cancelled'];

/**
 * What `run --watch` shows of a session's events: a line per transition and, on a terminal, a
 * progress bar of the tasks finished below them (cli-progress). Off a terminal (a pipe, a file)
 * the lines come alone, as the bar cannot redraw there.
 */
export class WatchDisplay {
  private readonly tasks = new Map<string, TaskStatus>();
  private readonly bars?: MultiBar;
  private readonly bar?: SingleBar;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    if (!stream.isTTY) return;
    this.bars = new MultiBar(
      { stream, format: ' {bar} {value}/{total} tasks done | session {status}', hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    this.bar = this.bars.create(0, 0, { status: 'pending' });
  }

  show(event: SessionEvent): void {
    if (event.event === 'task') {
      this.tasks.set(event.data.taskId, event.data.status);
      const where = event.data.agentId ? `  ${event.data.agentId}${event.data.attempt ? ` (attempt ${event.data.attempt})` : ''}` : '';
      this.write(`  task      ${event.data.taskId.padEnd(16)} ${event.data.status}${where}`);
    } else if (event.event === 'session') {
      this.bar?.update({ status: event.data.status });
      this.write(`  session   ${event.data.status}`);
    } else if (event.event === 'delta') {
      this.write(`  delta     ${event.data.taskId.padEnd(16)} ${JSON.stringify(event.data.text)}`);
    } else {
      this.write(`  log       ${event.data.level.padEnd(16)} ${event.data.message}`);
    }
    const done = [...this.tasks.values()].filter((status) => DONE.includes(status)).length;
    this.bar?.setTotal(this.tasks.size);
    this.bar?.update(done);
  }

  stop(): void {
    // A redraw writes the lines logged since the last one; stop() alone would drop them.
    this.bars?.update();
    this.bars?.stop();
  }

  private write(line: string): void {
    if (this.bars) this.bars.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }
}
