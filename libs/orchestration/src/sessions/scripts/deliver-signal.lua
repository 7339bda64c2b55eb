--[[
  Delivers a signal to the task of the session that waits for it, once: the task takes the
  payload as its output (its job, promoted by the caller, completes it), and a second signal of
  the same name finds it delivered. A task waits for its signal only while wait-task.lua holds it
  open: from the first wait step on, until the signal or its time-out.

  KEYS[1] the session's hash

  ARGV[1] the signal's name
  ARGV[2] its payload (JSON)
  ARGV[3] now (ISO 8601)

  Reply: a list, by case:
    {'delivered', taskId}       delivered to that task
    {'missing'}                 no such session
    {'finished', status}        the session finished
    {'again', taskId}           that task received this signal before
    {'unawaited'}               no task waits for this signal now
]]
--- @include "emit"
--- @include "session-keys"

local s = KEYS[1]
local status = redis.call('HGET', s, 'status')
if not status then return {'missing'} end
if status == 'completed' or status == 'failed' or status == 'cancelled' then return {'finished', status} end
local again = nil
for _, id in ipairs(redis.call('LRANGE', tasks_key(s), 0, -1)) do
  local key = task_key(s, id)
  local t = redis.call('HMGET', key, 'signal', 'signalState', 'status')
  if t[1] == ARGV[1] then
    if t[2] == 'open' and t[3] == 'waiting' then
      redis.call('HSET', key, 'signalState', 'delivered', 'signalPayload', ARGV[2], 'status', 'ready', 'waitingFor', '', 'readyAt', ARGV[3])
      emit(events_key(s), 'task', '{"taskId":"' .. id .. '","status":"ready","at":"' .. ARGV[3] .. '"}')
      return {'delivered', id}
    end
    if t[2] == 'delivered' and not again then again = id end
  end
end
if again then return {'again', again} end
return {'unawaited'}
