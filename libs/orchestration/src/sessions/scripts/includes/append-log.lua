-- Appends an entry (its JSON, as encodeLogEntry makes it, under the field ENTRY_FIELD of
-- log-entry.ts) to a session's log, as SessionLogWriter does: trimmed to the bound, and dropped
-- when the log does not exist (the session expired).
local function append_log(log, bound, entry)
  redis.call('XADD', log, 'NOMKSTREAM', 'MAXLEN', bound, '*', 'entry', entry)
end
