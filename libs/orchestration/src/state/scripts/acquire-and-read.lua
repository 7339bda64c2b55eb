--[[
  Redlock's acquire of several lock keys (every one must be free, then each is set to the token
  with the time to live), followed, when granted, by read-entries.lua's reads.

  KEYS[1] the first lock key, then the N lock keys, then one key per entry to read

  ARGV[1] the lock's token
  ARGV[2] the lock's time to live (ms)
  ARGV[3] N, the number of lock keys
  ARGV[4..] one field per entry to read

  Reply: {N, each entry's stored value or false} when granted, {0} when a lock key was taken.
]]
--- @include "read-entries"

local n = tonumber(ARGV[3])
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then return {0} end
end
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
end
return read_entries({n}, n, 3)
