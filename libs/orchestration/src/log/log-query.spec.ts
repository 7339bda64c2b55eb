import { LogEntry } from './log-entry';
import { collectPage, LogOrder, LogPageReader, logQuerySchema, matchesFilter, scanEntries } from './log-query';

const entry = (n: number, over: Partial<LogEntry> = {}): LogEntry => ({
  id: `1000-${n}`,
  time: new Date(Date.UTC(2026, 10, 25, 12, 0, n)).toISOString(),
  level: 'info',
  source: 'task',
  message: `entry ${n}`,
  sessionId: 's',
  ...over,
});

/** The stream as an in-memory list, read the way XRANGE / XREVRANGE with an exclusive start read it. */
function readerOf(entries: LogEntry[], reads: number[] = []): LogPageReader {
  return async (after, order: LogOrder, count) => {
    const list = order === 'asc' ? entries : [...entries].reverse();
    const start = after === undefined ? 0 : list.findIndex((e) => e.id === after) + 1;
    reads.push(start);
    return list.slice(start, start + count);
  };
}

describe('matchesFilter', () => {
  const e = entry(5, { level: 'warn', source: 'agent', taskId: 't1', agentId: 'a1', context: { detail: 'Disk FULL' } });

  it('applies every given condition', () => {
    expect(matchesFilter(e, {})).toBe(true);
    expect(matchesFilter(e, { level: 'warn' })).toBe(true);
    expect(matchesFilter(e, { level: 'error' })).toBe(false);
    expect(matchesFilter(e, { minLevel: 'info' })).toBe(true);
    expect(matchesFilter(e, { minLevel: 'warn' })).toBe(true);
    expect(matchesFilter(e, { minLevel: 'error' })).toBe(false);
    expect(matchesFilter(e, { source: ['task', 'agent'] })).toBe(true);
    expect(matchesFilter(e, { source: ['system'] })).toBe(false);
    expect(matchesFilter(e, { taskId: 't1', agentId: 'a1' })).toBe(true);
    expect(matchesFilter(e, { taskId: 't2' })).toBe(false);
    expect(matchesFilter(e, { since: e.time, until: e.time })).toBe(true);
    expect(matchesFilter(e, { since: entry(6).time })).toBe(false);
    expect(matchesFilter(e, { until: entry(4).time })).toBe(false);
    expect(matchesFilter(e, { q: 'ENTRY 5' })).toBe(true);
    expect(matchesFilter(e, { q: 'disk full' })).toBe(true); // in the context
    expect(matchesFilter(e, { q: 'nowhere' })).toBe(false);
  });
});

describe('logQuerySchema', () => {
  it('gives defaults and splits sources', () => {
    expect(logQuerySchema.parse({ source: 'agent, task' })).toEqual({ source: ['agent', 'task'], limit: 100, order: 'asc' });
  });

  it('names the bad parameter', () => {
    const paths = (query: Record<string, string>) => logQuerySchema.safeParse(query).error?.issues.map((i) => String(i.path[0]));
    expect(paths({ limit: '0' })).toEqual(['limit']);
    expect(paths({ limit: 'ten' })).toEqual(['limit']);
    expect(paths({ source: 'kernel' })).toEqual(['source']);
    expect(paths({ cursor: 'abc' })).toEqual(['cursor']);
    expect(paths({ cursor: '99999999999999999999-0' })).toEqual(['cursor']);
    expect(paths({ since: '2026-11-25T12:00:00Z', until: '2026-11-25T11:00:00Z' })).toEqual(['until']);
  });
});

describe('collectPage', () => {
  const entries = Array.from({ length: 12 }, (_, n) => entry(n, { source: n % 3 === 0 ? 'system' : 'task' }));

  it('pages through everything with the cursor, in both orders, without gaps or repeats', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const seen: LogEntry[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await collectPage(readerOf(entries), {}, { limit: 5, cursor, order }, 4);
        seen.push(...page.entries);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(order === 'asc' ? entries : [...entries].reverse());
    }
  });

  it('answers no cursor when the last page is exactly full', async () => {
    const page = await collectPage(readerOf(entries), {}, { limit: 12, order: 'asc' }, 5);
    expect(page.entries).toHaveLength(12);
    expect(page.nextCursor).toBeNull();
  });

  it('fills pages with matches only, reading on past the ones that do not match', async () => {
    const first = await collectPage(readerOf(entries), { source: ['system'] }, { limit: 2, order: 'asc' }, 3);
    expect(first.entries.map((e) => e.id)).toEqual(['1000-0', '1000-3']);
    const second = await collectPage(readerOf(entries), { source: ['system'] }, { limit: 2, cursor: first.nextCursor!, order: 'asc' }, 3);
    expect(second.entries.map((e) => e.id)).toEqual(['1000-6', '1000-9']);
    expect(second.nextCursor).toBeNull();
  });
});

describe('scanEntries', () => {
  it('yields every match a page at a time', async () => {
    const entries = Array.from({ length: 10 }, (_, n) => entry(n, { level: n % 2 ? 'error' : 'info' }));
    const reads: number[] = [];
    const pages: LogEntry[][] = [];
    for await (const page of scanEntries(readerOf(entries, reads), { level: 'error' }, 'asc', 4)) pages.push(page);
    expect(pages.flat().map((e) => e.id)).toEqual(['1000-1', '1000-3', '1000-5', '1000-7', '1000-9']);
    expect(reads).toEqual([0, 4, 8]);
  });
});
