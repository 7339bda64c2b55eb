-- Redis' own clock in milliseconds: registry times are all Redis', so no two clocks are compared.
local function now_ms()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
