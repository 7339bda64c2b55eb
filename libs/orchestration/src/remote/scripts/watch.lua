--[[
  The parking worker's look at its task: renews the park while it waits for an agent or for the
  agent's outcome, takes the outcome, or ends a lease that lapsed (the task goes back: its run
  fails as retryable and the job's attempts decide). A park taken or ended here is deleted.

  KEYS[1] the park hash

  ARGV[1] the park's time to live beyond a lease's expiry, ms

  Reply: { 'pending' }; { 'claimed', agent id }; { 'settled', agent id, outcome JSON };
  { 'lost', agent id } (the lease lapsed); { 'gone' } (the park expired: the worker was stalled
  longer than its time to live).
]]
--- @include "now-ms"

local f = redis.call('HMGET', KEYS[1], 'state', 'agent', 'expiresAt', 'outcome')
local keep = tonumber(ARGV[1])
if not f[1] then return { 'gone' } end
if f[1] == 'pending' then
  redis.call('PEXPIRE', KEYS[1], keep)
  return { 'pending' }
end
if f[1] == 'settled' then
  redis.call('DEL', KEYS[1])
  return { 'settled', f[2], f[4] }
end
local now = now_ms()
local expires = tonumber(f[3])
if now >= expires then
  redis.call('DEL', KEYS[1])
  return { 'lost', f[2] }
end
redis.call('PEXPIRE', KEYS[1], expires - now + keep)
return { 'claimed', f[2] }
