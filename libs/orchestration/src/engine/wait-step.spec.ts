import { waitOf } from './wait-step.service';

const now = new Date('2026-12-06T10:00:00.000Z');

describe('waitOf', () => {
  it('ends a wait durationMs after it starts', () => {
    expect(waitOf({ kind: 'wait', durationMs: 1500 }, now)).toEqual({
      wakeAt: new Date('2026-12-06T10:00:01.500Z'),
      waitingFor: { until: '2026-12-06T10:00:01.500Z' },
    });
  });

  it('ends a wait at its until, in UTC, whenever it starts', () => {
    expect(waitOf({ kind: 'wait', until: '2026-12-07T12:00:00+02:00' }, now)).toEqual({
      wakeAt: new Date('2026-12-07T10:00:00.000Z'),
      waitingFor: { until: '2026-12-07T10:00:00.000Z' },
    });
  });

  it('ends a signal task at its timeout, or never without one', () => {
    expect(waitOf({ kind: 'signal', signal: 'go', timeoutMs: 60_000 }, now)).toEqual({
      wakeAt: new Date('2026-12-06T10:01:00.000Z'),
      waitingFor: { signal: 'go', timeoutAt: '2026-12-06T10:01:00.000Z' },
    });
    expect(waitOf({ kind: 'signal', signal: 'go' }, now)).toEqual({ wakeAt: undefined, waitingFor: { signal: 'go' } });
  });
});
