--[[
  Gives a further batch of a large finished session's tasks their time to live (see
  includes/expire-tasks.lua).

  KEYS[1] the session's task ids (a list, in plan order)

  ARGV[1] seconds to live
  ARGV[2] the prefix of the tasks' hash keys
  ARGV[3] the prefix of their pending set keys
  ARGV[4] the batch's first position in the list
  ARGV[5] its last position (-1: the end)
  ARGV[6] the shard's BullMQ key prefix, '' to leave the tasks' jobs
  ARGV[7] the prefix of the session's task job ids

  Reply: how many task ids the batch found.
]]
--- @include "expire-tasks"

return expire_tasks(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
