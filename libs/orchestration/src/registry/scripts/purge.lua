--[[
  Forgets agents silent for longer than a given time (workers that died long ago), and
  revocations as old.

  KEYS[1] the agents' records
  KEYS[2] their last heartbeats
  KEYS[3] their loads
  KEYS[4] their statuses
  KEYS[5] the agents unregistered over REST

  ARGV[1] the silence (ms) past which an agent is forgotten

  Reply: how many agents were forgotten.
]]
--- @include "now-ms"

local before = now_ms() - tonumber(ARGV[1])
local gone = 0
local beats = redis.call('HGETALL', KEYS[2])
for i = 1, #beats, 2 do
  if tonumber(beats[i + 1]) < before then
    for k = 1, 4 do redis.call('HDEL', KEYS[k], beats[i]) end
    gone = gone + 1
  end
end
local revoked = redis.call('HGETALL', KEYS[5])
for i = 1, #revoked, 2 do
  if tonumber(string.match(revoked[i + 1], '^%d+')) < before then redis.call('HDEL', KEYS[5], revoked[i]) end
end
return gone
