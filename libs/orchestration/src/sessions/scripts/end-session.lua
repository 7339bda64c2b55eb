--[[
  Ends a session: moves it from one of the allowed statuses to a final one and, in the same step,
  cancels its tasks that had not started (waiting, ready or paused), so that no reader ever sees
  an ended session with a task still waiting for work. The tasks' events come before the
  session's.

  KEYS[1] the session's hash
  KEYS[2] the session's event stream
  KEYS[3] the session's task ids (a list, in plan order)

  ARGV[1] the allowed current statuses, comma-separated
  ARGV[2] the final status
  ARGV[3] the time (ISO 8601): the session's updatedAt, the tasks' finishedAt
  ARGV[4..] field/value pairs set on the session with it; an `error` field (JSON) goes into the
            session's event too

  Reply: -1 when the session does not exist, 0 when its status was not allowed, else the ids of
  the tasks it cancelled (possibly none), in plan order.
]]
--- @include "emit"
--- @include "session-keys"

local current = redis.call('HGET', KEYS[1], 'status')
if not current then return -1 end
local allowed = false
for status in string.gmatch(ARGV[1], '[^,]+') do
  if status == current then allowed = true end
end
if not allowed then return 0 end

local at = ARGV[3]
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'updatedAt', at)
local extra = ''
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'error' then extra = extra .. ',"error":' .. ARGV[i + 1] end
end

-- The statuses of a task that has not started; TypeScript reads this list (IDLE_TASK_STATUSES in
-- end-session.ts), so the session terminator cancels the same ones.
local IDLE_TASK_STATUSES = { 'waiting', 'ready', 'paused' }
local idle = {}
for _, status in ipairs(IDLE_TASK_STATUSES) do idle[status] = true end
local cancelled = {}
for _, id in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  local task = task_key(KEYS[1], id)
  if idle[redis.call('HGET', task, 'status')] then
    redis.call('HSET', task, 'status', 'cancelled', 'finishedAt', at)
    emit(KEYS[2], 'task', cjson.encode({ taskId = id, status = 'cancelled', at = at }))
    cancelled[#cancelled + 1] = id
  end
end
emit(KEYS[2], 'session', '{"status":' .. cjson.encode(ARGV[2]) .. ',"at":' .. cjson.encode(at) .. extra .. '}')
return cancelled
