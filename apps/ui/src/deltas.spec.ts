import { DeltaText } from './deltas';

describe('DeltaText', () => {
  it("joins a task's deltas in order, per task", () => {
    const deltas = new DeltaText();
    expect(deltas.add({ taskId: 'a', attempt: 1, seq: 1, text: 'Hel' })).toBe(true);
    expect(deltas.add({ taskId: 'b', attempt: 1, seq: 1, text: 'Other' })).toBe(true);
    expect(deltas.add({ taskId: 'a', attempt: 1, seq: 2, text: 'lo' })).toBe(true);
    expect(deltas.of('a')).toEqual({ attempt: 1, text: 'Hello' });
    expect(deltas.of('b')).toEqual({ attempt: 1, text: 'Other' });
    expect(deltas.of('c')).toBeUndefined();
  });

  it('drops the deltas a replayed stream brings again', () => {
    const deltas = new DeltaText();
    deltas.add({ taskId: 'a', attempt: 1, seq: 1, text: 'one ' });
    deltas.add({ taskId: 'a', attempt: 1, seq: 2, text: 'two' });
    expect(deltas.add({ taskId: 'a', attempt: 1, seq: 1, text: 'one ' })).toBe(false);
    expect(deltas.add({ taskId: 'a', attempt: 1, seq: 2, text: 'two' })).toBe(false);
    expect(deltas.of('a')!.text).toBe('one two');
  });

  it("starts over with a new attempt's text and ignores an older attempt's late deltas", () => {
    const deltas = new DeltaText();
    deltas.add({ taskId: 'a', attempt: 1, seq: 1, text: 'first try' });
    expect(deltas.add({ taskId: 'a', attempt: 2, seq: 1, text: 'second' })).toBe(true);
    expect(deltas.add({ taskId: 'a', attempt: 1, seq: 2, text: ' late' })).toBe(false);
    expect(deltas.of('a')).toEqual({ attempt: 2, text: 'second' });
  });
});
