import type { SessionEvent } from '@switchyard/client';
import { WatchDisplay } from './watch-display';

describe('WatchDisplay (what run --watch prints, off a terminal)', () => {
  const at = '2026-11-25T12:00:00.000Z';
  let written: string;
  let display: WatchDisplay;
  const show = (...events: SessionEvent[]) => events.forEach((event) => display.show(event));
  const task = (taskId: string, status: 'running' | 'completed', id: string): SessionEvent => ({
    id,
    event: 'task',
    data: { taskId, status, at, ...(status === 'running' ? { agentId: 'researcher@h:1', attempt: 1 } : {}) },
  });
  const delta = (taskId: string, seq: number, text: string, id: string): SessionEvent => ({ id, event: 'delta', data: { taskId, attempt: 1, seq, text } });

  beforeEach(() => {
    written = '';
    const stream = { isTTY: false, write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream;
    display = new WatchDisplay(stream);
  });

  it("prints each task's streamed text as whole lines prefixed by the task, before the transition that ends it", () => {
    show(
      task('research', 'running', '1'),
      task('outline', 'running', '2'),
      delta('research', 1, 'Append-only files log ', '3'),
      delta('outline', 1, '1. Intro\n2. ', '4'),
      delta('research', 1, 'every write.\nRDB', '5'),
      task('research', 'completed', '6'),
      { id: '7', event: 'session', data: { status: 'completed', at } },
    );
    display.stop();
    expect(written.split('\n')).toEqual([
      '  task      research         running  researcher@h:1 (attempt 1)',
      '  task      outline          running  researcher@h:1 (attempt 1)',
      '  delta     outline          1. Intro',
      '  delta     research         Append-only files log every write.',
      '  delta     research         RDB',
      '  task      research         completed',
      // The session's end shows what any task left unfinished first.
      '  delta     outline          2. ',
      '  session   completed',
      '',
    ]);
  });
});
