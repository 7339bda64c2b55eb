import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ChainableCommander } from 'ioredis';
import { SWITCHYARD_CONFIG } from '../config/config.module';
import { SwitchyardConfig } from '../config/switchyard-config';
import { keys, ShardTag } from '../redis/keys';
import { RedisConnections } from '../redis/redis-connections.service';
import { BatchContributor, RedisWriteBatcher } from '../redis/write-batcher.service';
import { currentWorker } from '../runtime/worker-identity';
import { encodeLogEntry, levelRank, LogSource, NewLogEntry, SessionLogLevel } from './log-entry';

/**
 * Appends a batch of one session's entries to its log, each trimmed to the bound (exact MAXLEN,
 * oldest first), and gives the log the session's remaining time to live, so it expires with the
 * session. Writes nothing for a session that no longer exists (expired or discarded).
 * KEYS[1] the log stream, KEYS[2] the session hash; ARGV[1] the bound, then per entry its number
 * of field/value pairs followed by them. Answers how many entries it appended.
 */
const APPEND_SCRIPT = `
local ttl = redis.call('PTTL', KEYS[2])
if ttl == -2 then return 0 end
local i = 2
local written = 0
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  local command = {'XADD', KEYS[1], 'MAXLEN', ARGV[1], '*'}
  for j = 1, n * 2 do command[#command + 1] = ARGV[i + j] end
  redis.call(unpack(command))
  i = i + 1 + n * 2
  written = written + 1
end
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return written
`;
const APPEND_COMMAND = 'switchyardLogAppend';

/** Entries kept in memory at most while Redis does not take them; more are dropped (and counted). */
const MAX_BUFFERED = 50_000;

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
 * Writes the orchestration log: entries are buffered per session and sent by the
 * {@link RedisWriteBatcher}, one script call per session per flush. With a Nest logger, each
 * entry also goes to the process log (pino) with the same session, task and agent ids, so the
 * two can be joined.
 */
@Injectable()
export class SessionLogWriter implements BatchContributor {
  private readonly worker = currentWorker();
  private buffer = new Map<string, { tag: ShardTag; sessionId: string; args: string[]; count: number }>();
  private buffered = 0;
  private lost = 0;
  /** The least severe entry level the process log (LOG_LEVEL) keeps: lower ones are not built at all. */
  private readonly processLogFrom: number;

  constructor(
    redis: RedisConnections,
    private readonly batcher: RedisWriteBatcher,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {
    if (!(APPEND_COMMAND in redis.client)) redis.client.defineCommand(APPEND_COMMAND, { numberOfKeys: 2, lua: APPEND_SCRIPT });
    batcher.register(this);
    this.processLogFrom = processLogFrom(config.logLevel);
  }

  /** Entries dropped since start: the buffer was full, or Redis refused the write. */
  get dropped(): number {
    return this.lost;
  }

  /** Buffers an entry for the session's log (sent within SWITCHYARD_LOG_FLUSH_MS); never throws. */
  write(tag: ShardTag, entry: NewLogEntry, processLogger?: Logger): void {
    if (processLogger && levelRank(entry.level) >= this.processLogFrom) toProcessLog(processLogger, entry);
    if (this.buffered >= MAX_BUFFERED) {
      this.lost += 1;
      return;
    }
    let fields: string[];
    try {
      fields = encodeLogEntry(entry, this.worker);
    } catch {
      this.lost += 1;
      return;
    }
    const key = `${tag}/${entry.sessionId}`;
    let pending = this.buffer.get(key);
    if (!pending) {
      pending = { tag, sessionId: entry.sessionId, args: [], count: 0 };
      this.buffer.set(key, pending);
    }
    pending.args.push(String(fields.length / 2), ...fields);
    pending.count += 1;
    this.buffered += 1;
    this.batcher.schedule();
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

  drainInto(pipeline: ChainableCommander): number {
    const batches = [...this.buffer.values()];
    this.buffer = new Map();
    this.buffered = 0;
    const run = pipeline as unknown as Record<string, (...args: (string | number)[]) => unknown>;
    for (const batch of batches) {
      run[APPEND_COMMAND](keys.log(batch.tag, batch.sessionId), keys.session(batch.tag, batch.sessionId), this.config.logMaxEntries, ...batch.args);
    }
    return batches.length;
  }

  failed(count: number): void {
    // A failed script call loses its whole batch; the count is of calls, so this undercounts entries.
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
