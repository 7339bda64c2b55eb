import { z } from 'zod';
import { TASK_ID } from '../plans/plan.schema';
import { compareStreamIds, isStreamId, LOG_SOURCES, LogEntry, levelRank, SESSION_LOG_LEVELS } from './log-entry';

const sources = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(LOG_SOURCES, { error: `must be ${LOG_SOURCES.join(', ')} (or several, comma-separated)` })).min(1, 'must name a source'));

const isoTime = (name: string) =>
  z.iso.datetime({ offset: true, error: `${name} must be an ISO 8601 time, like 2026-11-25T12:00:00Z` }).transform((v) => new Date(v).toISOString());

/** Which entries of a session's log to show (every field optional; all given ones must match). */
export const logFilterSchema = z.object({
  level: z
    .enum(SESSION_LOG_LEVELS, { error: `must be one of ${SESSION_LOG_LEVELS.join(', ')}` })
    .optional()
    .describe('Only entries of exactly this level'),
  minLevel: z
    .enum(SESSION_LOG_LEVELS, { error: `must be one of ${SESSION_LOG_LEVELS.join(', ')}` })
    .optional()
    .describe('Only entries of this level or a more severe one'),
  source: sources.optional().describe(`Only entries from these sources: ${LOG_SOURCES.join(', ')} (comma-separated)`),
  taskId: z.string().regex(TASK_ID, 'must be a task id: 1 to 64 letters, digits, "_", "." or "-"').optional(),
  agentId: z.string().min(1).max(256).optional(),
  since: isoTime('since').optional().describe('Only entries made at or after this time'),
  until: isoTime('until').optional().describe('Only entries made at or before this time'),
  q: z.string().min(1).max(256).optional().describe('Only entries whose message or context contains this text (case-insensitive)'),
});

export const LOG_ORDERS = ['asc', 'desc'] as const;
export type LogOrder = (typeof LOG_ORDERS)[number];

const order = z.enum(LOG_ORDERS, { error: 'must be asc (oldest first) or desc (newest first)' }).default('asc');

/** GET .../logs: a filter, a page size, a cursor and an order. */
export const logQuerySchema = logFilterSchema
  .extend({
    limit: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(100),
    cursor: z.string().refine(isStreamId, 'must be a nextCursor from an earlier answer').optional(),
    order,
  })
  .refine((v) => !v.since || !v.until || v.since <= v.until, { path: ['until'], message: 'must not be before since' });

/** GET .../logs/export: a filter, an order and a format. */
export const logExportSchema = logFilterSchema
  .extend({ format: z.enum(['ndjson', 'csv'], { error: 'must be ndjson or csv' }).default('ndjson'), order })
  .refine((v) => !v.since || !v.until || v.since <= v.until, { path: ['until'], message: 'must not be before since' });

export type LogFilter = z.infer<typeof logFilterSchema>;
export type LogQuery = z.infer<typeof logQuerySchema>;
export type LogExportQuery = z.infer<typeof logExportSchema>;

/** Whether an entry passes every condition of the filter. */
export function matchesFilter(entry: LogEntry, filter: LogFilter): boolean {
  if (filter.level && entry.level !== filter.level) return false;
  if (filter.minLevel && levelRank(entry.level) < levelRank(filter.minLevel)) return false;
  if (filter.source && !filter.source.includes(entry.source)) return false;
  if (filter.taskId && entry.taskId !== filter.taskId) return false;
  if (filter.agentId && entry.agentId !== filter.agentId) return false;
  if (filter.since || filter.until) {
    const time = Date.parse(entry.time);
    if (filter.since && !(time >= Date.parse(filter.since))) return false;
    if (filter.until && !(time <= Date.parse(filter.until))) return false;
  }
  if (filter.q) {
    const needle = filter.q.toLowerCase();
    const inMessage = entry.message.toLowerCase().includes(needle);
    if (!inMessage && !(entry.context && JSON.stringify(entry.context).toLowerCase().includes(needle))) return false;
  }
  return true;
}

/**
 * Reads entries in stream order from just after `after` (exclusive; from the start, or the end
 * for `desc`, without it), at most `count`.
 */
export type LogPageReader = (after: string | undefined, order: LogOrder, count: number) => Promise<LogEntry[]>;

export interface LogPage {
  readonly entries: LogEntry[];
  /** Hand back as `cursor` for the next page; `null` when there is nothing more. */
  readonly nextCursor: string | null;
}

/**
 * One page of matching entries: reads the stream page by page from the cursor until it has
 * `limit` matches and knows whether one more exists, or reaches the end.
 */
export async function collectPage(
  read: LogPageReader,
  filter: LogFilter,
  options: { limit: number; cursor?: string; order: LogOrder },
  pageSize = 500,
): Promise<LogPage> {
  const found: LogEntry[] = [];
  let position = options.cursor;
  for (;;) {
    const page = await read(position, options.order, pageSize);
    for (const entry of page) {
      if (position !== undefined && (options.order === 'asc' ? compareStreamIds(entry.id, position) <= 0 : compareStreamIds(entry.id, position) >= 0)) {
        continue; // not past the cursor: a reader must never hand back what came before it
      }
      position = entry.id;
      if (!matchesFilter(entry, filter)) continue;
      if (found.length === options.limit) return { entries: found, nextCursor: found[found.length - 1].id };
      found.push(entry);
    }
    if (page.length < pageSize) return { entries: found, nextCursor: null };
  }
}

/** Every matching entry, a page at a time (for exports): never more than one page in memory. */
export async function* scanEntries(read: LogPageReader, filter: LogFilter, order: LogOrder, pageSize = 500): AsyncGenerator<LogEntry[]> {
  let position: string | undefined;
  for (;;) {
    const page = await read(position, order, pageSize);
    if (page.length > 0) position = page[page.length - 1].id;
    const matching = page.filter((entry) => matchesFilter(entry, filter));
    if (matching.length > 0) yield matching;
    if (page.length < pageSize) return;
  }
}
