--[[
  Increments a counter: the state bench's ceiling, one script call per update and nothing else.

  KEYS[1] the counter

  ARGV: none

  Reply: the counter's new value.
]]
return redis.call('INCR', KEYS[1])
