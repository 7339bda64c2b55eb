--[[
  Appends a task's streamed pieces of output (deltas) to its session's event stream, as `delta`
  events, up to the task's cap: a task stores at most ARGV[4] deltas over all its attempts. The
  first delta past the cap is replaced by one marker event,
  `{ taskId, attempt, seq, text: "", truncated: true }`, and the rest are dropped. Nothing is
  appended once the session has ended (its stream is closed) or expired. The counts live in the
  session's hash (`deltas:<task id>`, `deltasDropped:<task id>`), so they expire with it, for a
  planned task and for the planning step (which has no task hash) alike.

  KEYS[1] the session's hash

  ARGV[1] the task's id
  ARGV[2] the attempt the deltas belong to
  ARGV[3] the seq of the first delta of ARGV[5..] (seq counts from 0 in each attempt)
  ARGV[4] the task's cap
  ARGV[5..] the deltas' texts, in order

  Reply: {stored, marked}: how many were appended, and 1 if this call appended the marker
]]
--- @include "emit"
--- @include "session-keys"

local s = KEYS[1]
local status = redis.call('HGET', s, 'status')
if not status or status == 'completed' or status == 'failed' or status == 'cancelled' then return {0, 0} end
local counted = 'deltas:' .. ARGV[1]
local stored = tonumber(redis.call('HGET', s, counted)) or 0
local cap = tonumber(ARGV[4])
local first = tonumber(ARGV[3])
local head = '{"taskId":' .. cjson.encode(ARGV[1]) .. ',"attempt":' .. ARGV[2] .. ',"seq":'
local stream = events_key(s)
local n = 0
for i = 5, #ARGV do
  if stored + n >= cap then break end
  emit(stream, 'delta', head .. (first + n) .. ',"text":' .. cjson.encode(ARGV[i]) .. '}')
  n = n + 1
end
if n > 0 then redis.call('HINCRBY', s, counted, n) end
local marked = 0
if n < #ARGV - 4 and redis.call('HSETNX', s, 'deltasDropped:' .. ARGV[1], '1') == 1 then
  emit(stream, 'delta', head .. (first + n) .. ',"text":"","truncated":true}')
  marked = 1
end
return {n, marked}
