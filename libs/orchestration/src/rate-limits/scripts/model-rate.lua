--[[
  The shared rate limit of one model, for every worker at once: a sliding window log of the
  calls that started in the last ARGV[5] ms (requests per window and tokens per window), and a
  back-off time a 429 set. Times are Redis's own clock (TIME), so the workers' clocks do not matter.

  KEYS[1] the model's calls: a sorted set scored by start time (ms), members `<id>:<tokens>`
  KEYS[2] the model's back-off: a string, the epoch ms until which no call starts

  ARGV[1] 'acquire' or 'backoff'
  With 'acquire':
    ARGV[2] most calls per window (0: no limit)
    ARGV[3] most tokens per window (0: no limit)
    ARGV[4] the tokens of this call (about)
    ARGV[5] the window (ms)
    ARGV[6] a unique id of this call
  With 'backoff':
    ARGV[2] how long (ms) no call may start from now

  Reply: 0 when the call may start now (it is counted), or how many ms to wait before asking
  again (the call is not counted); 0 for 'backoff'
]]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

if ARGV[1] == 'backoff' then
  local untilMs = now + tonumber(ARGV[2])
  local current = tonumber(redis.call('GET', KEYS[2]) or '0')
  if untilMs > current then redis.call('SET', KEYS[2], untilMs, 'PX', tonumber(ARGV[2]) + 1000) end
  return 0
end

local backoff = tonumber(redis.call('GET', KEYS[2]) or '0')
if backoff > now then return backoff - now end

local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
if rpm == 0 and tpm == 0 then return 0 end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local calls = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count = #calls / 2
local wait = 0
if rpm > 0 and count >= rpm then
  -- The oldest call that must leave the window for this one to fit.
  wait = tonumber(calls[2 * (count - rpm) + 2]) + window - now + 1
end
if tpm > 0 and count > 0 then
  local used = 0
  for i = 1, #calls, 2 do used = used + tonumber(string.match(calls[i], ':(%d+)$')) end
  -- A call larger than the whole limit goes alone, in an empty window.
  local over = used + math.min(tokens, tpm) - tpm
  local i = 1
  while over > 0 and i <= #calls do
    over = over - tonumber(string.match(calls[i], ':(%d+)$'))
    if over <= 0 then wait = math.max(wait, tonumber(calls[i + 1]) + window - now + 1) end
    i = i + 2
  end
end
if wait > 0 then return wait end

redis.call('ZADD', KEYS[1], now, ARGV[6] .. ':' .. tokens)
redis.call('PEXPIRE', KEYS[1], window + 1000)
return 0
