import { compareStreamIds, decodeLogEntry, encodeLogEntry, encodeLogEntryAround, isStreamId, MAX_MESSAGE_CHARS } from './log-entry';

describe('log entries in a stream', () => {
  const worker = { host: 'host:with:colons', pid: 42 };

  it('decode what they encode', () => {
    const fields = encodeLogEntry(
      { level: 'warn', source: 'agent', message: 'm', sessionId: 's', taskId: 't', agentId: 'a', context: { n: 1 }, time: '2026-11-25T12:00:00.000Z' },
      worker,
    );
    expect(decodeLogEntry('s', '5-1', fields)).toEqual({
      id: '5-1',
      time: '2026-11-25T12:00:00.000Z',
      level: 'warn',
      source: 'agent',
      message: 'm',
      sessionId: 's',
      taskId: 't',
      agentId: 'a',
      worker,
      context: { n: 1 },
    });
  });

  it('are one field of JSON, and read entries of the older one-field-per-property form too', () => {
    expect(encodeLogEntry({ level: 'info', source: 'task', message: 'm', sessionId: 's' }, worker)).toEqual(['entry', expect.any(String)]);
    const older = [
      'time',
      '2026-11-25T12:00:00.000Z',
      'level',
      'error',
      'source',
      'task',
      'message',
      'm',
      'taskId',
      't',
      'worker',
      'host:with:colons:42',
      'context',
      '{"n":1}',
    ];
    expect(decodeLogEntry('s', '5-1', older)).toEqual({
      id: '5-1',
      time: '2026-11-25T12:00:00.000Z',
      level: 'error',
      source: 'task',
      message: 'm',
      sessionId: 's',
      taskId: 't',
      worker,
      context: { n: 1 },
    });
  });

  it('never throw on what an agent hands them: circular contexts, errors, huge messages', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const decoded = (context: Record<string, unknown>, message = 'm') =>
      decodeLogEntry('s', '1-0', encodeLogEntry({ level: 'info', source: 'agent', message, sessionId: 's', context }, worker));
    expect(decoded(circular).context).toEqual({ unserializable: expect.any(String) });
    expect(decoded({ error: new TypeError('bad') }).context).toEqual({ error: { name: 'TypeError', message: 'bad' } });
    expect(decoded({ errors: [new RangeError('r')], n: 10n }).context).toEqual({ errors: [{ name: 'RangeError', message: 'r' }], n: '10' });
    expect(decoded({ big: 'x'.repeat(100_000) }).context).toMatchObject({ truncated: true });
    expect(decoded({}, 'y'.repeat(MAX_MESSAGE_CHARS + 10)).message).toHaveLength(MAX_MESSAGE_CHARS + 1);
  });

  it('write flat contexts as JSON would, and leave out an empty one', () => {
    const decoded = (context: Record<string, unknown> | undefined) =>
      decodeLogEntry('s', '1-0', encodeLogEntry({ level: 'info', source: 'task', message: 'm', sessionId: 's', context }, worker));
    const flat = { capabilities: ['a', 'b'], attempt: 2, ok: true, none: null, quote: 'say "hi"\n', skipped: undefined };
    expect(decoded(flat).context).toEqual(JSON.parse(JSON.stringify(flat)));
    expect(decoded({}).context).toBeUndefined();
    expect(decoded(undefined).context).toBeUndefined();
  });

  it('stamp an entry without a time with the current one', () => {
    const before = Date.now();
    const { time } = decodeLogEntry('s', '1-0', encodeLogEntry({ level: 'info', source: 'task', message: 'm', sessionId: 's' }, worker));
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
  });

  it('order stream ids numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-2')).toBe(0);
    expect(compareStreamIds('1795610093336-0', '1795610093335-9')).toBeGreaterThan(0);
  });
});

describe('log entries written by a script', () => {
  const worker = { host: 'h', pid: 1 };
  it('are split around the number that ends their context', () => {
    const entry = { level: 'info', source: 'task', message: 'task started', sessionId: 's', taskId: 't', time: '2026-11-29T12:00:00.000Z' } as const;
    const [head, tail] = encodeLogEntryAround({ ...entry, context: { capabilities: ['web_research'] } }, worker, 'attempt');
    expect(decodeLogEntry('s', '1-0', ['entry', `${head}3${tail}`])).toMatchObject({ ...entry, context: { capabilities: ['web_research'], attempt: 3 } });
    const [bare, end] = encodeLogEntryAround(entry, worker, 'attempt');
    expect(decodeLogEntry('s', '1-0', ['entry', `${bare}1${end}`]).context).toEqual({ attempt: 1 });
  });
});

describe('isStreamId', () => {
  it('takes the ids Redis can resume a range after', () => {
    for (const id of ['0-0', '1795610093336-0', '18446744073709551615-0', '0-18446744073709551615', '18446744073709551615-18446744073709551614'])
      expect([id, isStreamId(id)]).toEqual([id, true]);
  });

  it('refuses ids beyond 64 bits, the last id there can be, leading zeros and other shapes', () => {
    for (const id of [
      '99999999999999999999-0',
      '18446744073709551616-0',
      '0-18446744073709551616',
      '18446744073709551615-18446744073709551615',
      '01-0',
      '1-00',
      '1',
      '1-',
      '-1',
      '1-0_1-0',
      'a-0',
      ' 1-0',
    ]) {
      expect([id, isStreamId(id)]).toEqual([id, false]);
    }
  });
});
