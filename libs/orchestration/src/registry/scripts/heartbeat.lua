--[[
  Renews a worker's agents. An agent unregistered over REST (in the revoked hash, as
  `<ms>|<registeredAt>`) is not brought back by the process that registered it; its id is
  answered. A new process reusing the id (another registeredAt) is. Times are Redis' own.

  KEYS[1] the agents' records (JSON, by id)
  KEYS[2] their last heartbeats (ms)
  KEYS[3] their loads
  KEYS[4] their statuses (only `draining` is stored)
  KEYS[5] the agents unregistered over REST (`<ms>|<registeredAt>`)

  ARGV, five per agent:
  ARGV[1] id
  ARGV[2] record JSON
  ARGV[3] load
  ARGV[4] status ('active' | 'draining')
  ARGV[5] registeredAt

  Reply: the ids of the agents that stay unregistered (not renewed).
]]
--- @include "now-ms"

local now = now_ms()
local revoked = {}
for i = 1, #ARGV, 5 do
  local id = ARGV[i]
  local gone = redis.call('HGET', KEYS[5], id)
  if gone and string.sub(gone, (string.find(gone, '|', 1, true) or 0) + 1) == ARGV[i + 4] then
    revoked[#revoked + 1] = id
  else
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    redis.call('HSET', KEYS[2], id, now)
    redis.call('HSET', KEYS[3], id, ARGV[i + 2])
    if ARGV[i + 3] == 'draining' then redis.call('HSET', KEYS[4], id, 'draining') else redis.call('HDEL', KEYS[4], id) end
  end
end
return revoked
