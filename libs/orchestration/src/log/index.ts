export * from './log-entry';
export * from './log-query';
export * from './log-export-format';
export { SessionLogWriter, ScopedLog, LogScope } from './session-log.writer';
export { SessionLogReader, LogStats } from './session-log.reader';
