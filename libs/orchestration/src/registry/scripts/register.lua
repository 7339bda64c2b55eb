--[[
  Registers an agent over REST, unless a live one (a heartbeat within the time to live) has its
  id. Any revocation of the id is forgotten.

  KEYS[1] the agents' records
  KEYS[2] their last heartbeats
  KEYS[3] their loads
  KEYS[4] their statuses
  KEYS[5] the agents unregistered over REST

  ARGV[1] id
  ARGV[2] record JSON
  ARGV[3] the agents' time to live (ms)

  Reply: 'live' when refused, else 'ok'.
]]
--- @include "now-ms"

local now = now_ms()
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 and last and now - last <= tonumber(ARGV[3]) then return 'live' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], now)
redis.call('HSET', KEYS[3], ARGV[1], 0)
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return 'ok'
