import { DELTA_LINE_CHARS, DeltaLines } from './delta-lines';

describe('DeltaLines (the streamed text of running tasks, as whole lines)', () => {
  let printed: string[];
  let lines: DeltaLines;
  const delta = (taskId: string, seq: number, text: string, attempt = 1) => lines.add({ taskId, attempt, seq, text });

  beforeEach(() => {
    printed = [];
    lines = new DeltaLines((taskId, text) => printed.push(`${taskId}: ${text}`));
  });

  it('holds pieces until a newline ends a line, and interleaves tasks by line, never inside one', () => {
    delta('a', 1, 'Redis persists ');
    delta('b', 1, 'AOF logs every ');
    expect(printed).toEqual([]);
    delta('a', 2, 'with RDB snapshots.\nAnd');
    delta('b', 2, 'write.\n');
    expect(printed).toEqual(['a: Redis persists with RDB snapshots.', 'b: AOF logs every write.']);
    lines.flush('a');
    expect(printed.at(-1)).toBe('a: And');
    lines.flush();
    expect(printed).toHaveLength(3);
  });

  it('breaks a long text without newlines so it shows as it comes', () => {
    delta('a', 1, 'x'.repeat(DELTA_LINE_CHARS * 2 + 5));
    expect(printed).toEqual([`a: ${'x'.repeat(DELTA_LINE_CHARS)}`, `a: ${'x'.repeat(DELTA_LINE_CHARS)}`]);
    lines.flush();
    expect(printed.at(-1)).toBe('a: xxxxx');
  });

  it('shows control characters escaped, so a model cannot move the cursor over the progress bar', () => {
    delta('a', 1, 'red \u001b[31mtext\r\tend\n');
    expect(printed).toEqual(['a: red \\u001b[31mtext\\u000d  end']);
  });

  it('shows what an attempt left unfinished before the next attempt starts over, and says when deltas were capped', () => {
    delta('a', 1, 'half a line');
    delta('a', 1, 'again\n', 2);
    expect(printed).toEqual(['a: half a line', 'a: again']);
    delta('a', 2, 'cut');
    lines.add({ taskId: 'a', attempt: 2, seq: 3, text: '', truncated: true });
    expect(printed.slice(2)).toEqual(['a: cut', 'a: [more streamed text was not kept: the task reached its cap of stored deltas]']);
  });
});
