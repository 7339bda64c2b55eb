--[[
  Reserves turns on the deployment's fair-share clock for one tenant's new task jobs (a virtual
  clock: see docs/fair-share.md). Each tenant has a finish time; its next job's turn starts at the
  later of that and now, and each job moves it on by turn / weight ms. A job's BullMQ priority is
  then its turn's start, counted in turns from the clock's epoch, so the queues take every
  tenant's jobs in turn order. Times are Redis's own clock (TIME).

  BullMQ priorities stop at 2^21 - 1: when now is more than half of that many turns after the
  epoch, the epoch moves to now (jobs queued before then keep their larger priorities, so they
  come after the new ones once; no job is lost or reordered within its tenant's later ones).

  KEYS[1] the fair-share hash: `epoch` (epoch ms) and `t:<tenant>` (the tenant's finish time, ms)

  ARGV[1] the tenant
  ARGV[2] how many turns to reserve
  ARGV[3] one turn of a tenant of weight 1 (ms)
  ARGV[4] the tenant's weight (a positive number)
  ARGV[5] the largest BullMQ priority

  Reply: {start, epoch, now}: the first turn's start, the epoch (epoch ms) and Redis's now
]]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = tonumber(ARGV[2])
local turn = tonumber(ARGV[3])
local weight = tonumber(ARGV[4])
local maxPriority = tonumber(ARGV[5])

local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '')
if not epoch or (now - epoch) / turn > maxPriority / 2 then
  epoch = now
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end

local field = 't:' .. ARGV[1]
local start = tonumber(redis.call('HGET', KEYS[1], field) or '0')
if start < now then start = now end
local finish = math.floor(start + count * turn / weight + 0.5)
redis.call('HSET', KEYS[1], field, string.format('%d', finish))
return {string.format('%d', start), string.format('%d', epoch), string.format('%d', now)}
