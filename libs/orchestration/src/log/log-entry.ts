import type { WorkerIdentity } from '../runtime/worker-identity';
import { isoNow } from '../runtime/iso-now';

/** Levels of the orchestration log, least severe first. */
export const SESSION_LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'critical'] as const;
export type SessionLogLevel = (typeof SESSION_LOG_LEVELS)[number];

/** Who wrote an entry: the orchestration steps, an agent's own logger, a task's lifecycle, or the worker process. */
export const LOG_SOURCES = ['orchestrator', 'agent', 'task', 'system'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

/** One entry of a session's orchestration log, as the API answers it. */
export interface LogEntry {
  /** The Redis stream id (`<ms>-<seq>`): orders the session's entries and serves as a cursor. */
  readonly id: string;
  /** When the entry was made (ISO time, the writing process' clock). */
  readonly time: string;
  readonly level: SessionLogLevel;
  readonly source: LogSource;
  readonly message: string;
  readonly sessionId: string;
  readonly taskId?: string;
  readonly agentId?: string;
  /** The process that wrote it. */
  readonly worker?: WorkerIdentity;
  readonly context?: Record<string, unknown>;
}

/** An entry to write; `time` defaults to now, and the writing process is its `worker`. */
export type NewLogEntry = Omit<LogEntry, 'id' | 'time' | 'worker'> & { readonly time?: string };

/** Longest message and context (as JSON) kept per entry; longer ones are cut, and say so. */
export const MAX_MESSAGE_CHARS = 4096;
export const MAX_CONTEXT_CHARS = 16_384;

export function levelRank(level: SessionLogLevel): number {
  return SESSION_LOG_LEVELS.indexOf(level);
}

/** As Redis writes them: no leading zeros (which `compareStreamIds` relies on). */
const STREAM_ID = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/;
/** Redis keeps both parts of a stream id as unsigned 64-bit integers. */
const MAX_STREAM_ID_PART = 2n ** 64n - 1n;

/**
 * Whether `value` is a stream id (`<ms>-<seq>`) Redis takes as the exclusive start of a range:
 * both parts within 64 bits, and not the last id there can be (nothing comes after it).
 */
export function isStreamId(value: string): boolean {
  if (!STREAM_ID.test(value)) return false;
  const [ms, seq] = value.split('-').map(BigInt);
  return ms <= MAX_STREAM_ID_PART && seq <= MAX_STREAM_ID_PART && !(ms === MAX_STREAM_ID_PART && seq === MAX_STREAM_ID_PART);
}

/** Stream ids are `<ms>-<seq>`; this orders them without losing precision. */

export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  if (am.length !== bm.length) return am.length - bm.length;
  if (am !== bm) return am < bm ? -1 : 1;
  if (as.length !== bs.length) return as.length - bs.length;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** A value JSON.stringify writes as it is, with no replacer needed: a primitive, or an array of strings and numbers. */
function plainValue(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      if (value === null) return true;
      if (!Array.isArray(value)) return false;
      for (const item of value) if (typeof item !== 'string' && typeof item !== 'number') return false;
      return true;
    default:
      return false;
  }
}

function contextJson(context: Record<string, unknown> | undefined): string | undefined {
  if (!context) return undefined;
  let plain = true;
  let empty = true;
  for (const key in context) {
    empty = false;
    if (!plainValue(context[key])) {
      plain = false;
      break;
    }
  }
  if (empty) return undefined;
  let text: string;
  try {
    // A replacer makes JSON.stringify call back into JavaScript for every value; the flat
    // contexts of a task's own entries (capabilities, attempt, duration) need none.
    text = plain
      ? JSON.stringify(context)
      : JSON.stringify(context, (_key, value: unknown) =>
          value instanceof Error ? { name: value.name, message: value.message } : typeof value === 'bigint' ? value.toString() : value,
        );
  } catch (error) {
    // A circular or otherwise unserialisable context must not cost the entry (or the task).
    return JSON.stringify({ unserializable: (error as Error).message });
  }
  return text.length <= MAX_CONTEXT_CHARS ? text : JSON.stringify({ truncated: true, preview: text.slice(0, MAX_CONTEXT_CHARS - 64) });
}

/** The one stream field that holds an entry, as JSON (see {@link encodeLogEntry}). */
export const ENTRY_FIELD = 'entry';

/**
 * The stream fields of an entry: one field holding the entry as JSON. One field instead of one per
 * property keeps the XADD short (each argument costs the writer and Redis), and every entry of
 * the stream has the same field, which Redis stores once per stream node.
 */
export function encodeLogEntry(entry: NewLogEntry, worker: WorkerIdentity): string[] {
  const context = contextJson(entry.context);
  return [ENTRY_FIELD, `${entryHead(entry, worker)}${context !== undefined ? `,"context":${context}` : ''}}`];
}

/** The `worker` field of the entries of the last process identity seen (a process has one). */
let workerField: { worker: WorkerIdentity; json: string } | undefined;

function workerJson(worker: WorkerIdentity): string {
  if (workerField?.worker !== worker) workerField = { worker, json: `,"worker":{"host":${JSON.stringify(worker.host)},"pid":${worker.pid}}` };
  return workerField.json;
}

/** An entry's JSON up to its context, without the closing brace. */
function entryHead(entry: NewLogEntry, worker: WorkerIdentity): string {
  const message = entry.message.length <= MAX_MESSAGE_CHARS ? entry.message : `${entry.message.slice(0, MAX_MESSAGE_CHARS)}…`;
  let text = `{"time":${entry.time === undefined ? `"${isoNow()}"` : JSON.stringify(entry.time)},"level":"${entry.level}","source":"${entry.source}","message":${JSON.stringify(message)}`;
  if (entry.taskId) text += `,"taskId":${JSON.stringify(entry.taskId)}`;
  if (entry.agentId) text += `,"agentId":${JSON.stringify(entry.agentId)}`;
  return text + workerJson(worker);
}

/**
 * An entry's JSON in two parts around a number that ends its context, under `key`, for a script
 * that only learns the number as it writes the entry (a task's attempt): `head + n + tail`.
 */
export function encodeLogEntryAround(entry: NewLogEntry, worker: WorkerIdentity, key: string): [head: string, tail: string] {
  const context = contextJson(entry.context);
  const field = JSON.stringify(key);
  // The context, when there is one, is the entry's last field: `…,"context":{…}}`.
  return context !== undefined
    ? [`${entryHead(entry, worker)},"context":${context.slice(0, -1)},${field}:`, '}}']
    : [`${entryHead(entry, worker)},"context":{${field}:`, '}}'];
}

/** What {@link encodeLogEntry} puts in the one field. */
type StoredEntry = Omit<LogEntry, 'id' | 'sessionId'>;

/**
 * An entry read back from the stream (the reverse of {@link encodeLogEntry}). Entries written
 * before 2026-11-29 have one field per property, and are read as well.
 */
export function decodeLogEntry(sessionId: string, id: string, fields: readonly string[]): LogEntry {
  if (fields[0] === ENTRY_FIELD) {
    const stored = JSON.parse(fields[1]) as StoredEntry;
    return {
      id,
      time: stored.time,
      level: stored.level,
      source: stored.source,
      message: stored.message,
      sessionId,
      ...(stored.taskId !== undefined ? { taskId: stored.taskId } : {}),
      ...(stored.agentId !== undefined ? { agentId: stored.agentId } : {}),
      ...(stored.worker !== undefined ? { worker: stored.worker } : {}),
      ...(stored.context !== undefined ? { context: stored.context } : {}),
    };
  }
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  const worker = map.get('worker');
  const separator = worker?.lastIndexOf(':') ?? -1;
  const context = map.get('context');
  return {
    id,
    time: map.get('time') ?? '',
    level: (map.get('level') ?? 'info') as SessionLogLevel,
    source: (map.get('source') ?? 'system') as LogSource,
    message: map.get('message') ?? '',
    sessionId,
    ...(map.has('taskId') ? { taskId: map.get('taskId') } : {}),
    ...(map.has('agentId') ? { agentId: map.get('agentId') } : {}),
    ...(worker && separator > 0 ? { worker: { host: worker.slice(0, separator), pid: Number(worker.slice(separator + 1)) } } : {}),
    ...(context !== undefined ? { context: JSON.parse(context) as Record<string, unknown> } : {}),
  };
}
