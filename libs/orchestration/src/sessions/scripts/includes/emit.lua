-- Appends an event to a session's event stream, which keeps about EVENTS_MAX entries (the oldest
-- go first). SessionStore reads EVENTS_MAX from here.
local EVENTS_MAX = 100000

local function emit(stream, kind, data)
  redis.call('XADD', stream, 'MAXLEN', '~', EVENTS_MAX, '*', 'type', kind, 'data', data)
end
