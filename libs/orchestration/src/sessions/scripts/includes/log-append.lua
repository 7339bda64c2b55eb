-- Appends an entry (its JSON, as encodeLogEntry makes it) to a session's log, as SessionLogWriter
-- does: trimmed to the bound, and dropped when the log does not exist (the session expired).
-- ENTRY_FIELD is log-entry.ts' ENTRY_FIELD (a unit test holds them equal).
local ENTRY_FIELD = 'entry'

local function append_log(log, bound, entry)
  redis.call('XADD', log, 'NOMKSTREAM', 'MAXLEN', bound, '*', ENTRY_FIELD, entry)
end
