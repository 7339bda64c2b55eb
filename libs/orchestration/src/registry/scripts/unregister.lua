--[[
  Unregisters an agent: its record goes, and that registration is remembered (`<ms>|<its
  registeredAt>`) so that its worker does not bring it back with the next heartbeat.

  KEYS[1] the agents' records
  KEYS[2] their last heartbeats
  KEYS[3] their loads
  KEYS[4] their statuses
  KEYS[5] the agents unregistered over REST

  ARGV[1] id

  Reply: 1, or 0 when the agent is unknown.
]]
--- @include "now-ms"

local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then return 0 end
local now = now_ms()
for i = 1, 4 do redis.call('HDEL', KEYS[i], ARGV[1]) end
redis.call('HSET', KEYS[5], ARGV[1], now .. '|' .. cjson.decode(record).registeredAt)
return 1
