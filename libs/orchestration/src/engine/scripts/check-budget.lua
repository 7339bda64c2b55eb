--[[
  Checks an unfinished session against its budget (see includes/budget.lua), as a running task's
  timer does at the session's `wallMs`.

  KEYS[1] the session's hash

  ARGV: none

  Reply: false (within its budget, finished or gone), or {limit, used, budget}: a limit was passed
]]
--- @include "budget"

local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'completed' or status == 'failed' or status == 'cancelled' then return false end
return budget_over(KEYS[1], false, false)
