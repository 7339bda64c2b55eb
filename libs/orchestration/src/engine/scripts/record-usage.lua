--[[
  Adds one model call's usage to its task's and its session's `usage:*` fields (promptTokens,
  completionTokens, totalTokens, calls, costUsd), in one step, and checks the session's budget
  (see includes/budget.lua): tokens or cost past their limit end the session (the worker does).
  A call that ends after its session did is still counted: it was paid for. The planning step has
  no task hash: its calls count for the session only.

  KEYS[1] the session's hash

  ARGV[1] the task's id
  ARGV[2] prompt tokens
  ARGV[3] completion tokens
  ARGV[4] total tokens
  ARGV[5] cost in USD ('0' when the model has no price)

  Reply: one of
    {'gone'}                        the session does not exist (expired)
    {'ok'}                          counted
    {'over', limit, used, budget}   counted, and the session's usage went past a limit of its
                                    budget (JSON) while it was unfinished
]]
--- @include "budget"
--- @include "session-keys"

local s = KEYS[1]
local status = redis.call('HGET', s, 'status')
if not status then return {'gone'} end

local function add(key)
  redis.call('HINCRBY', key, 'usage:promptTokens', ARGV[2])
  redis.call('HINCRBY', key, 'usage:completionTokens', ARGV[3])
  redis.call('HINCRBY', key, 'usage:totalTokens', ARGV[4])
  redis.call('HINCRBY', key, 'usage:calls', 1)
  redis.call('HINCRBYFLOAT', key, 'usage:costUsd', ARGV[5])
end

add(s)
local taskKey = task_key(s, ARGV[1])
if redis.call('EXISTS', taskKey) == 1 then add(taskKey) end
if status == 'completed' or status == 'failed' or status == 'cancelled' then return {'ok'} end
local over = budget_over(s, false, false)
if over then return {'over', over[1], over[2], over[3]} end
return {'ok'}
