--[[
  Sets a task's status (and fields with it), unless the task is gone or already finished: a
  finished task's status never changes, whatever job comes back for it later (a stalled job
  handed out again after its session ended, say).

  KEYS[1] the task's hash
  KEYS[2] the session's event stream

  ARGV[1] the task's id
  ARGV[2] the status
  ARGV[3] the time (ISO 8601), for the event
  ARGV[4..] field/value pairs set with it

  Reply: 1 when it set the status, 0 when the task was finished, -1 when it does not exist.
]]
--- @include "emit"

-- set-task-status.ts' FINAL_TASK_STATUSES (a unit test holds them equal).
local FINAL_TASK_STATUSES = { 'completed', 'failed', 'skipped', 'cancelled' }

local current = redis.call('HGET', KEYS[1], 'status')
if not current then return -1 end
for _, final in ipairs(FINAL_TASK_STATUSES) do
  if current == final then return 0 end
end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
emit(KEYS[2], 'task', cjson.encode({ taskId = ARGV[1], status = ARGV[2], at = ARGV[3] }))
return 1
