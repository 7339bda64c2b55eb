--[[
  Renews one agent registered over REST, and sets its load if given.

  KEYS[1] the agents' records
  KEYS[2] their last heartbeats
  KEYS[3] their loads

  ARGV[1] id
  ARGV[2] load ('' keeps it)

  Reply: 1, or 0 when the agent is unknown.
]]
--- @include "now-ms"

if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], now_ms())
if ARGV[2] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
return 1
