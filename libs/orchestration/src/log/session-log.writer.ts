import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { keys, ShardTag } from '../redis/keys';
import { BatchContributor, RedisWriteBatcher } from '../redis/write-batcher.service';
import { currentWorker } from '../runtime/worker-identity';
import { encodeLogEntry, encodeLogEntryAround, levelRank, LogSource, NewLogEntry, SessionLogLevel } from './log-entry';

/** Entries kept in memory at most while Redis does not take them; more are dropped (and counted). */
const MAX_BUFFERED = 50_000;

/**
 * An entry that a script appends to a session's log itself (engine/scripts/start-task.lua,
 * sessions/scripts/finish-task.lua), in the same call as the change it reports: its log, the log's bound and
 * its JSON — whole, or (`tail` set) around a number the script fills in.
 */
export interface ScriptedLogEntry {
  readonly key: string;
  readonly bound: number;
  readonly json: string;
  readonly tail?: string;
}

/** The ids an entry is about, besides its session. */
export interface LogScope {
  readonly sessionId: string;
  readonly taskId?: string;
  readonly agentId?: string;
}

/** Writes entries of one scope at each level (the shape of an agent's `context.log`, plus critical). */
export interface ScopedLog {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
  critical(message: string, context?: Record<string, unknown>): void;
}

/**
 * Writes the orchestration log: entries are buffered and sent by the {@link RedisWriteBatcher},
 * one XADD each in the batch's write, or handed to a script that appends them itself
 * ({@link scripted}). With a Nest logger, each entry also goes to the process log (pino) with the
 * same session, task and agent ids, so the two can be joined.
 */
@Injectable()
export class SessionLogWriter implements BatchContributor {
  private readonly worker = currentWorker();
  /** Entries waiting for the next flush, oldest first, with the log each goes to. */
  private buffer: { log: string; fields: string[] }[] = [];
  private buffered = 0;
  private lost = 0;
  /** The least severe entry level the process log (LOG_LEVEL) keeps: lower ones are not built at all. */
  private readonly processLogFrom: number;

  constructor(
    private readonly batcher: RedisWriteBatcher,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {
    batcher.register(this);
    this.processLogFrom = processLogFrom(config.logLevel);
  }

  /** Entries dropped since start: the buffer was full, or Redis refused the write. */
  get dropped(): number {
    return this.lost;
  }

  /**
   * Buffers an entry for the session's log (sent within SWITCHYARD_LOG_FLUSH_MS); never throws.
   * The log must exist already (its session's start creates it, see {@link sendWith}): an entry
   * for a session that expired or was discarded is dropped by Redis, so nothing of it comes back
   * without a time to live.
   */
  write(tag: ShardTag, entry: NewLogEntry, processLogger?: Logger): void {
    if (processLogger && levelRank(entry.level) >= this.processLogFrom) toProcessLog(processLogger, entry);
    if (this.buffered >= MAX_BUFFERED) {
      this.lost += 1;
      return;
    }
    const fields = this.encode(entry);
    if (!fields) return;
    this.buffer.push({ log: keys.log(tag, entry.sessionId), fields });
    this.buffered += 1;
    this.batcher.schedule();
  }

  /**
   * Sends what is buffered now, if anything, and resolves once Redis has written it (never
   * rejects): a script sent after that which appends an entry itself (see {@link scripted})
   * appends it after them, whatever connection it goes on.
   */
  flushBefore(): Promise<void> {
    return this.buffered > 0 ? this.flush() : Promise.resolve();
  }

  /**
   * An entry for a script to append (see {@link ScriptedLogEntry}). With `numberKey`, its context
   * ends with that field, whose number the script knows. Entries buffered before it must be sent
   * first (see {@link flush}), or they come after it. The process log gets it from {@link mirror}.
   */
  scripted(tag: ShardTag, entry: NewLogEntry, numberKey?: string): ScriptedLogEntry {
    const key = keys.log(tag, entry.sessionId);
    const bound = this.config.logMaxEntries;
    if (numberKey === undefined) return { key, bound, json: encodeLogEntry(entry, this.worker)[1] };
    const [json, tail] = encodeLogEntryAround(entry, this.worker, numberKey);
    return { key, bound, json, tail };
  }

  /** Writes an entry to the process log alone (one a script appended to the session's log). */
  mirror(entry: NewLogEntry, processLogger: Logger): void {
    if (levelRank(entry.level) >= this.processLogFrom) toProcessLog(processLogger, entry);
  }

  /**
   * Sends one entry now with `client`, inside a transaction of the caller's (a session's start,
   * whose first entry `opens` its log), instead of buffering it; answers the command, or
   * nothing when the entry cannot be encoded (it is dropped and counted, as {@link write} does).
   * The process log gets it from {@link mirror}.
   */
  sendWith(client: Redis, tag: ShardTag, entry: NewLogEntry, opens: boolean): Promise<unknown>[] {
    const fields = this.encode(entry);
    return fields ? [this.xadd(client, keys.log(tag, entry.sessionId), fields, opens)] : [];
  }

  /** An entry's stream fields, or nothing (counted as lost) when it cannot be encoded. */
  private encode(entry: NewLogEntry): string[] | undefined {
    try {
      return encodeLogEntry(entry, this.worker);
    } catch {
      this.lost += 1;
      return undefined;
    }
  }

  /** A logger for one scope and source, writing to the session log and (if given) the process log. */
  scope(tag: ShardTag, source: LogSource, ids: LogScope, processLogger?: Logger): ScopedLog {
    const at = (level: SessionLogLevel) => (message: string, context?: Record<string, unknown>) =>
      this.write(tag, { level, source, message, ...ids, context }, processLogger);
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), critical: at('critical') };
  }

  /** Sends what is buffered now (see {@link RedisWriteBatcher.flush}); never rejects. */
  flush(): Promise<void> {
    return this.batcher.flush();
  }

  /** One XADD per buffered entry (see {@link xadd}). */
  drainInto(client: Redis): Promise<unknown>[] {
    const entries = this.buffer;
    this.buffer = [];
    this.buffered = 0;
    return entries.map(({ log, fields }) => this.xadd(client, log, fields, false));
  }

  /**
   * One XADD, trimming the log to its bound (exact MAXLEN, oldest first). NOMKSTREAM, unless the
   * entry opens the log, makes Redis drop an entry whose log does not exist (its session expired
   * or was discarded); a log that exists has its session's time to live once the session ended,
   * and keeps it.
   */
  private xadd(client: Redis, log: string, fields: string[], opens: boolean): Promise<unknown> {
    const bound = this.config.logMaxEntries;
    return opens ? client.xadd(log, 'MAXLEN', bound, '*', ...fields) : client.xadd(log, 'NOMKSTREAM', 'MAXLEN', bound, '*', ...fields);
  }

  failed(count: number): void {
    this.lost += count;
  }
}

/**
 * The rank (see {@link levelRank}) of the least severe entry the process log keeps at `logLevel`:
 * trace and debug keep every entry, silent none (critical maps to pino's fatal).
 */
function processLogFrom(logLevel: SwitchyardConfig['logLevel']): number {
  switch (logLevel) {
    case 'trace':
    case 'debug':
      return levelRank('debug');
    case 'info':
      return levelRank('info');
    case 'warn':
      return levelRank('warn');
    case 'error':
      return levelRank('error');
    case 'fatal':
      return levelRank('critical');
    default:
      return Number.POSITIVE_INFINITY;
  }
}

/** Mirrors an entry into the process log at the matching pino level. */
function toProcessLog(logger: Logger, entry: NewLogEntry): void {
  // The ids last, so a context field of the same name cannot hide them.
  const line = {
    ...entry.context,
    sessionId: entry.sessionId,
    ...(entry.taskId ? { taskId: entry.taskId } : {}),
    ...(entry.agentId ? { agentId: entry.agentId } : {}),
    source: entry.source,
  };
  switch (entry.level) {
    case 'debug':
      return logger.debug(line, entry.message);
    case 'info':
      return logger.log(line, entry.message);
    case 'warn':
      return logger.warn(line, entry.message);
    case 'error':
      return logger.error(line, entry.message);
    default:
      return logger.fatal(line, entry.message);
  }
}
