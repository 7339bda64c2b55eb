--[[
  Hands a remote agent the oldest parked task it can take (every capability it needs, and its
  agent type if it asks for one) under a new lease, in one step: a task is in a pending list or
  under a lease, never both and never neither. Ids whose park is gone (its worker gave up on it,
  or died and let it expire) are dropped on the way.

  The park keys are built from ARGV[1] and the ids read: they carry the same hash tag as KEYS,
  so they live in the same Redis Cluster slot.

  KEYS[1] … KEYS[n] the pending lists the agent polls (its tenant's, one per capability it has)

  ARGV[1] what every park key starts with
  ARGV[2] agent id
  ARGV[3] the agent's capabilities, JSON array
  ARGV[4] the agent's type
  ARGV[5] the lease's secret
  ARGV[6] the lease's duration, ms
  ARGV[7] how long a park outlives its lease's expiry, ms

  Reply: nil when no task fits; else { park id, task JSON, lease expiry (epoch ms, Redis' clock) }.
]]
--- @include "now-ms"

local caps = {}
for _, capability in ipairs(cjson.decode(ARGV[3])) do caps[capability] = true end
local lease_ms = tonumber(ARGV[6])

for _, list in ipairs(KEYS) do
  for _, id in ipairs(redis.call('LRANGE', list, 0, 99)) do
    local park = ARGV[1] .. id
    local fields = redis.call('HMGET', park, 'task', 'state')
    if not fields[1] or fields[2] ~= 'pending' then
      redis.call('LREM', list, 1, id)
    else
      local task = cjson.decode(fields[1])
      local fits = task.agentType == nil or task.agentType == cjson.null or task.agentType == ARGV[4]
      for _, capability in ipairs(task.capabilities) do
        if not caps[capability] then fits = false end
      end
      if fits then
        local expires = now_ms() + lease_ms
        redis.call('LREM', list, 1, id)
        redis.call('HSET', park, 'state', 'claimed', 'agent', ARGV[2], 'secret', ARGV[5], 'expiresAt', expires)
        redis.call('PEXPIRE', park, lease_ms + tonumber(ARGV[7]))
        return { id, fields[1], expires }
      end
    end
  end
end
return false
