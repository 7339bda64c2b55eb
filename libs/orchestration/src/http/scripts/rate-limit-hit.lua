--[[
  Counts a client's request in its fixed window, starting the window on the first one; past the
  limit, blocks the client for the block duration (at least the rest of the window).

  KEYS[1] the client's counter in this window
  KEYS[2] the client's block marker

  ARGV[1] the window (ms)
  ARGV[2] the most requests a window allows
  ARGV[3] how long a client over the limit is blocked (ms)

  Reply: {hits in the window, ms left of the window, ms left of the block (negative: none)}.
]]
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local window = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], '1', 'PX', math.max(tonumber(ARGV[3]), window))
end
return { hits, window, redis.call('PTTL', KEYS[2]) }
