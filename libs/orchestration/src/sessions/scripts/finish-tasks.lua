--[[
  Finishes several tasks of one shard in one call (those of one tick), each as finish-task.lua
  would, in order.

  KEYS[1] the first task's keys (finish-task.lua's KEYS), then each next task's

  ARGV[1] the first task's count of keys
  ARGV[2] the first task's count of arguments, then its arguments (finish-task.lua's ARGV), then
          each next task's two counts and arguments

  Reply: one finish-task.lua reply per task, in order.
]]
--- @include "emit"
--- @include "log-append"
--- @include "session-keys"
--- @include "finish"

local replies = {}
local k, a = 1, 1
while a <= #ARGV do
  local nk, na = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  replies[#replies + 1] = finish({unpack(KEYS, k, k + nk - 1)}, {unpack(ARGV, a + 2, a + 1 + na)})
  k = k + nk
  a = a + 2 + na
end
return replies
