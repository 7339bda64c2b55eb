import { spawnSubtasks } from '../plans/decomposition';
import { OutputTooLargeError, SessionOutputsFullError } from '../errors/errors';
import { checkOutput, storedBytes } from './output-limits';

describe('checkOutput', () => {
  const task = { sessionId: 's-1', taskId: 'big' };
  const limits = { maxOutputBytes: 100, maxSessionBytes: 250 };
  /** An output of exactly `n` bytes as JSON: a string of n − 2 characters and its quotes. */
  const ofBytes = (n: number) => 'x'.repeat(n - 2);

  it('counts the bytes the write-back stores: UTF-8 JSON, null for no output', () => {
    expect(storedBytes({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(storedBytes(undefined)).toBe(4);
  });

  it('passes an output up to the limit, and refuses one a byte over, naming the task, its size and the limit', () => {
    expect(() => checkOutput(task, ofBytes(100), limits)).not.toThrow();
    const refusal = (() => {
      try {
        checkOutput(task, ofBytes(101), limits);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(OutputTooLargeError);
    expect(refusal).toMatchObject({ name: 'OutputTooLargeError', taskId: 'big', bytes: 101, limit: 100, retryable: false });
    expect((refusal as Error).message).toBe(
      'Task "big" returned an output of 101 bytes as JSON, over the limit of 100 bytes (SWITCHYARD_MAX_OUTPUT_BYTES); it was not stored',
    );
  });

  it('counts multi-byte characters as the bytes they take', () => {
    expect(() => checkOutput(task, 'é'.repeat(49), limits)).not.toThrow();
    expect(() => checkOutput(task, 'é'.repeat(50), limits)).toThrow(OutputTooLargeError);
  });

  it('counts the subtasks an agent returns, with their output', () => {
    const subtasks = (n: number) => spawnSubtasks(Array.from({ length: n }, (_, i) => ({ id: `t${i}`, capabilities: ['web_research'] })));
    expect(() => checkOutput(task, subtasks(1), limits)).not.toThrow();
    expect(() => checkOutput(task, subtasks(5), limits)).toThrow(/returned subtasks of \d+ bytes/);
    expect(() => checkOutput(task, spawnSubtasks([], { output: ofBytes(200) }), limits)).toThrow(OutputTooLargeError);
    // Subtasks are not stored among the outputs: the session's room does not matter.
    expect(() => checkOutput(task, subtasks(1), limits, 250)).not.toThrow();
  });

  it("refuses an output that would take the session's stored outputs over their limit", () => {
    expect(() => checkOutput(task, ofBytes(100), limits, 150)).not.toThrow();
    expect(() => checkOutput(task, ofBytes(100), limits, 151)).toThrow(SessionOutputsFullError);
    expect(() => checkOutput(task, ofBytes(100), limits, 151)).toThrow(
      'Task "big"\'s output of 100 bytes would take session "s-1"\'s stored outputs from 151 to 251 bytes, over the limit of 250 bytes (SWITCHYARD_MAX_SESSION_BYTES); it was not stored',
    );
  });
});
