import { RunAbort } from './run-abort';

describe('RunAbort', () => {
  it('makes its signal on first use, aborted with the reason if the run already was', () => {
    const reason = new Error('cancelled');
    const early = new RunAbort();
    early.abort(reason);
    expect(early.aborted).toBe(true);
    expect(early.signal.aborted).toBe(true);
    expect(early.signal.reason).toBe(reason);

    const late = new RunAbort();
    const signal = late.signal;
    expect(signal.aborted).toBe(false);
    expect(late.signal).toBe(signal);
    late.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(late.reason).toBe(reason);
  });

  it('tells its listeners once, keeps the first reason, and forgets a removed listener', () => {
    const run = new RunAbort();
    const told: string[] = [];
    run.onAbort(() => told.push('a'));
    const remove = run.onAbort(() => told.push('b'));
    remove();
    run.abort('first');
    run.abort('second');
    expect(told).toEqual(['a']);
    expect(run.reason).toBe('first');
    // After the abort, a new listener is told at once.
    run.onAbort(() => told.push('c'));
    expect(told).toEqual(['a', 'c']);
  });
});
