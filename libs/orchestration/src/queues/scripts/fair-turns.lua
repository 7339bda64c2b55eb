--[[
  Reserves turns on the deployment's fair-share clock for one tenant's new task jobs (a virtual
  clock: see docs/fair-share.md), by priority class (a job's plan priority as BullMQ's: lower is
  more urgent). Each class p of a tenant has a finish time F(p), when its next job's turn starts
  (never before now). A job of class p takes the turn at max(now, F(p)), and every class q >= p
  of the tenant (equally or less urgent) moves on by turn / weight ms: urgent work takes the
  tenant's earliest free turn, and every job still costs its tenant one turn. A job's BullMQ
  priority is then its turn's start, counted in turns from the clock's epoch, so the queues take
  every tenant's jobs in turn order. Times are Redis's own clock (TIME).

  A tenant's field holds only the steps of F: `class:finish` pairs, classes and finishes both
  rising; F(p) is the finish of the last pair whose class is at most p. Pairs due by now say
  nothing (a turn never starts before now) and are dropped, and a field with more than ARGV[5]
  pairs merges the two neighbours whose finishes are closest (the more urgent class takes the
  later finish: it may wait a little longer, the tenant never gets more turns). A field written
  before classes (a bare number) is one pair for every class.

  BullMQ priorities stop at 2^21 - 1: when now is more than half of that many turns after the
  epoch, the epoch moves to now (jobs queued before then keep their larger priorities, so they
  come after the new ones once; no job is lost or reordered within its tenant's later ones).

  KEYS[1] the fair-share hash: `epoch` (epoch ms) and `t:<tenant>` (the tenant's finish times)

  ARGV[1] the tenant
  ARGV[2] one turn of a tenant of weight 1 (ms)
  ARGV[3] the tenant's weight (a positive number)
  ARGV[4] the largest BullMQ priority
  ARGV[5] the most pairs kept per tenant
  ARGV[6], ARGV[7], ... pairs: a class and how many of the submission's jobs have it, classes rising

  Reply: {epoch, now, start of the first job of each class in ARGV order} (epoch ms)
]]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local step = tonumber(ARGV[2]) / tonumber(ARGV[3])
local turn = tonumber(ARGV[2])
local maxPriority = tonumber(ARGV[4])
local maxPairs = tonumber(ARGV[5])

local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '')
if not epoch or (now - epoch) / turn > maxPriority / 2 then
  epoch = now
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end

-- The tenant's steps still ahead of now, as {class, finish}, classes and finishes rising.
local field = 't:' .. ARGV[1]
local raw = redis.call('HGET', KEYS[1], field) or ''
local steps = {}
local function keep(class, finish)
  local last = steps[#steps]
  if finish > now and (not last or finish > last[2]) then steps[#steps + 1] = {class, finish} end
end
if raw ~= '' and not string.find(raw, ':', 1, true) then
  keep(0, tonumber(raw))
else
  for class, finish in string.gmatch(raw, '(%d+):(%d+)') do keep(tonumber(class), tonumber(finish)) end
end

-- One class of the submission: its first job's start; the class and every later one move on.
local function reserve(class, count)
  local i = 1
  while steps[i] and steps[i][1] < class do i = i + 1 end
  if not steps[i] or steps[i][1] ~= class then
    table.insert(steps, i, {class, i > 1 and steps[i - 1][2] or now})
  end
  local at = steps[i][2]
  for j = i, #steps do steps[j][2] = steps[j][2] + count * step end
  return at
end

local reply = {string.format('%d', epoch), string.format('%d', now)}
for i = 6, #ARGV, 2 do
  reply[#reply + 1] = string.format('%d', math.floor(reserve(tonumber(ARGV[i]), tonumber(ARGV[i + 1])) + 0.5))
end

-- Bound the field: merge the closest neighbours until at most maxPairs are left.
while #steps > maxPairs do
  local closest = 1
  for i = 2, #steps - 1 do
    if steps[i + 1][2] - steps[i][2] < steps[closest + 1][2] - steps[closest][2] then closest = i end
  end
  steps[closest][2] = steps[closest + 1][2]
  table.remove(steps, closest + 1)
end

local out = {}
for i, s in ipairs(steps) do out[i] = string.format('%d:%d', s[1], math.floor(s[2] + 0.5)) end
redis.call('HSET', KEYS[1], field, table.concat(out, ' '))
return reply
