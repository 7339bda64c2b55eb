--[[
  A remote agent's call under its lease: `beat` extends the lease, `settle` records the task's
  outcome (output or error) for the worker that parked it. A lease that lapsed is not extended
  and takes no outcome: the parking worker puts its task back (watch.lua).

  KEYS[1] the park hash

  ARGV[1] 'beat' or 'settle'
  ARGV[2] agent id
  ARGV[3] task id
  ARGV[4] the lease's secret
  ARGV[5] the lease's duration, ms
  ARGV[6] how long a park outlives its lease's expiry, ms
  ARGV[7] the outcome, JSON (settle only)

  Reply: { 'ok', lease expiry (epoch ms) }; { 'expired', expiry }; { 'unknown' } when there is no
  such lease (never was, settled already, put back, or another agent's or task's).
]]
--- @include "now-ms"

local f = redis.call('HMGET', KEYS[1], 'state', 'agent', 'secret', 'expiresAt', 'taskId')
if f[1] ~= 'claimed' or f[2] ~= ARGV[2] or f[3] ~= ARGV[4] or f[5] ~= ARGV[3] then return { 'unknown' } end
local now = now_ms()
local expires = tonumber(f[4])
if now >= expires then return { 'expired', expires } end
local keep = tonumber(ARGV[6])
if ARGV[1] == 'beat' then
  expires = now + tonumber(ARGV[5])
  redis.call('HSET', KEYS[1], 'expiresAt', expires)
  redis.call('PEXPIRE', KEYS[1], expires - now + keep)
  return { 'ok', expires }
end
redis.call('HSET', KEYS[1], 'state', 'settled', 'outcome', ARGV[7])
redis.call('PEXPIRE', KEYS[1], keep)
return { 'ok', expires }
