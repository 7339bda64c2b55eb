import { LogEntry } from './log-entry';

export const CSV_COLUMNS = ['id', 'time', 'level', 'source', 'sessionId', 'taskId', 'agentId', 'workerHost', 'workerPid', 'message', 'context'] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, a line break or leading or
 * trailing space, with quotes doubled.
 */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** One entry as a CSV record (CRLF-terminated); the context is its JSON. */
export function csvRow(entry: LogEntry): string {
  const cells = [
    entry.id,
    entry.time,
    entry.level,
    entry.source,
    entry.sessionId,
    entry.taskId ?? '',
    entry.agentId ?? '',
    entry.worker?.host ?? '',
    entry.worker ? String(entry.worker.pid) : '',
    entry.message,
    entry.context ? JSON.stringify(entry.context) : '',
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** One entry as a line of newline-delimited JSON. */
export function ndjsonLine(entry: LogEntry): string {
  return `${JSON.stringify(entry)}\n`;
}
