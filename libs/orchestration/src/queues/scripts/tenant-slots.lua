--[[
  One tenant's running tasks, deployment-wide (SWITCHYARD_TENANT_MAX_RUNNING): a sorted set of
  the task jobs that hold a slot, each scored by when its hold lapses. A hold its worker stopped
  renewing (the worker died) lapses and frees its slot. Times are Redis's own clock (TIME).

  KEYS[1] the tenant's running jobs: a sorted set, members `<shard tag>/<job id>`

  ARGV[1] 'acquire', 'renew' or 'release'
  ARGV[2] the job (member)
  ARGV[3] with 'acquire' and 'renew': how long a hold lasts unless renewed (ms)
  ARGV[4] with 'acquire': most jobs holding a slot at once

  Reply: 1 when the job holds a slot ('acquire': it got one, or had one already; 'renew': it
  still had one), else 0
]]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op = ARGV[1]
local member = ARGV[2]

if op == 'release' then
  redis.call('ZREM', KEYS[1], member)
  return 1
end

local lapses = now + tonumber(ARGV[3])

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], member)
if op == 'renew' then
  if not held then return 0 end
elseif not held and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], lapses, member)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
