#!lua flags=no-writes
--[[
  The registry as it is at one instant. Declared read-only (`no-writes`), so Redis runs it while
  out of memory, when it refuses every MULTI.

  KEYS[1] the agents' records
  KEYS[2] their last heartbeats
  KEYS[3] their loads
  KEYS[4] their statuses

  ARGV: none

  Reply: the four hashes (each flat, as HGETALL answers it), then Redis' TIME.
]]
return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4]), redis.call('TIME') }
