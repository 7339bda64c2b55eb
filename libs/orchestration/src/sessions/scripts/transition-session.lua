--[[
  Moves a session from one of the given statuses to another, atomically.

  KEYS[1] the session's hash
  KEYS[2] the session's event stream

  ARGV[1] the allowed current statuses, comma-separated
  ARGV[2] the new status
  ARGV[3..] field/value pairs set with it: a `result` or `error` field (JSON) goes into the event
            too, and `updatedAt` is the event's time

  Reply: 1 when it moved the session, 0 when its status was not allowed, -1 when it does not
  exist.
]]
--- @include "emit"

local current = redis.call('HGET', KEYS[1], 'status')
if not current then return -1 end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == current then allowed = true end end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
local extra = ''
local at = ''
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'result' or ARGV[i] == 'error' then extra = extra .. ',"' .. ARGV[i] .. '":' .. ARGV[i + 1] end
  if ARGV[i] == 'updatedAt' then at = ARGV[i + 1] end
end
emit(KEYS[2], 'session', '{"status":' .. cjson.encode(ARGV[2]) .. ',"at":' .. cjson.encode(at) .. extra .. '}')
return 1
