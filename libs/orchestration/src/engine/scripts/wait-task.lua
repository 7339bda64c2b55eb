--[[
  The wait step of a task of kind `wait` or `signal` (it runs no agent): decides, in one step
  with what it reads, whether the task's wait is over, and otherwise records what it waits for.
  The first call starts the wait: it records its start and wake-up times (ARGV's candidates), so
  that a job that comes back (a restart, a recheck) keeps them.

  A signal task accepts a signal while its `signalState` is `open` (deliver-signal.lua sets it to
  `delivered` with the payload); its time-out closes it here, in the same step, so a signal and a
  time-out never both land.

  KEYS[1] the session's hash

  ARGV[1] the task's id
  ARGV[2] now (ISO 8601)
  ARGV[3] now (epoch ms)
  ARGV[4] the kind: 'wait' or 'signal'
  ARGV[5] when the wait ends (epoch ms), should it start now; '' for a signal without a time-out
  ARGV[6] what it waits for (JSON), should it start now
  ARGV[7] '1' to start the wait afresh (an operator's retry after a time-out), else '0'

  Reply: a list, by case:
    {'gone'}                the task finished (cancelled, failed, skipped): nothing to do
    {'due', waitedMs}       a wait's time came
    {'signal', payload}     a signal came: its payload (JSON)
    {'timeout', waitedMs}   a signal's time-out came first
    {'park', wakeAtMs}      still waiting, until wakeAtMs ('' for a signal without a time-out)
]]
--- @include "emit"
--- @include "session-keys"

local FINAL = { completed = true, failed = true, skipped = true, cancelled = true }

local key = task_key(KEYS[1], ARGV[1])
local t = redis.call('HMGET', key, 'status', 'waitStartMs', 'wakeAtMs', 'signalState', 'signalPayload', 'waitDesc', 'waitingFor')
if not t[1] or FINAL[t[1]] then return {'gone'} end
if ARGV[7] == '1' then
  redis.call('HDEL', key, 'waitStartMs', 'wakeAtMs', 'signalState', 'signalPayload', 'waitDesc')
  t[2], t[3], t[4], t[5], t[6] = false, false, false, false, false
end
if t[4] == 'delivered' then
  redis.call('HSET', key, 'waitingFor', '')
  return {'signal', t[5]}
end
local now = tonumber(ARGV[3])
local start, wake, desc = tonumber(t[2]), t[3], t[6]
if not start then
  start, wake, desc = now, ARGV[5], ARGV[6]
  redis.call('HSET', key, 'waitStartMs', start, 'wakeAtMs', wake, 'waitDesc', desc, 'startedAt', ARGV[2])
end
if wake ~= '' and now >= tonumber(wake) then
  redis.call('HSET', key, 'waitingFor', '')
  if ARGV[4] == 'signal' then
    redis.call('HSET', key, 'signalState', 'closed')
    return {'timeout', now - start}
  end
  return {'due', now - start}
end
if ARGV[4] == 'signal' then redis.call('HSET', key, 'signalState', 'open') end
if t[1] ~= 'waiting' or t[7] ~= desc then
  redis.call('HSET', key, 'status', 'waiting', 'waitingFor', desc)
  emit(events_key(KEYS[1]), 'task', cjson.encode({ taskId = ARGV[1], status = 'waiting', waitingFor = cjson.decode(desc), at = ARGV[2] }))
end
return {'park', wake}
