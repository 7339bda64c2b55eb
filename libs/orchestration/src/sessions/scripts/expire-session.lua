--[[
  Gives a finished session's keys their time to live in one call: its own keys get the retention,
  its state's keys get at most the retention (a temporary entry keeps a shorter time of its
  own), and the first batch of its tasks theirs (see includes/expire-tasks.lua). The session's
  hash gets its time to live first: state written afterwards follows it (apply-state.lua).

  KEYS[1] the session's task ids (a list, in plan order)
  KEYS[2] the state index (a set of the state's keys)
  KEYS[3..] the keys that get the retention (the session's own, its root and planning jobs'),
            then the state's fixed keys

  ARGV[1] seconds to live
  ARGV[2] how many keys get the retention (from KEYS[3] on)
  ARGV[3] the prefix of the tasks' hash keys
  ARGV[4] the prefix of their pending set keys
  ARGV[5] the first batch's first position in the task list
  ARGV[6] its last position (-1: the end)
  ARGV[7] the shard's BullMQ key prefix, '' to leave the tasks' jobs
  ARGV[8] the prefix of the session's task job ids

  Reply: how many task ids the first batch found.
]]
--- @include "expire-tasks"

local seconds = ARGV[1]
local plain = tonumber(ARGV[2])
for i = 3, 2 + plain do redis.call('EXPIRE', KEYS[i], seconds) end
local found = expire_tasks(KEYS[1], seconds, ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
for i = 3 + plain, #KEYS do redis.call('EXPIRE', KEYS[i], seconds, 'LT') end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('EXPIRE', key, seconds, 'LT') end
return found
