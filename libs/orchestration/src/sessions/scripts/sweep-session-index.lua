--[[
  Removes, among the oldest entries of a session index, those whose session has expired (its hash
  is gone): from that index and from the other one given. A session's keys expire with the
  retention while its index entries do not (see SessionIndex), so each session start and each
  list checks a few this way, in one call instead of a read per entry.

  KEYS[1] the index whose oldest entries are checked (a sorted set of session ids by creation time)
  KEYS[2] optional: another index the expired entries leave too (the shard's, when KEYS[1] is a
          tenant's)

  ARGV[1] the prefix of the sessions' hash keys (the id follows)
  ARGV[2] how many of the oldest entries to check

  Reply: how many entries left KEYS[1].
]]
local gone = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
  if redis.call('EXISTS', ARGV[1] .. id) == 0 then gone[#gone + 1] = id end
end
if #gone == 0 then return 0 end
if KEYS[2] then redis.call('ZREM', KEYS[2], unpack(gone)) end
return redis.call('ZREM', KEYS[1], unpack(gone))
