#!lua flags=no-writes
--[[
  The backlog of one BullMQ queue (bullmq 6.7, see ../index.ts): the jobs a worker could take now,
  wherever BullMQ keeps them, and the jobs that have waited longest. Read-only.

  BullMQ's layout this reads: `wait` is a list of job ids without a priority (pushed on the left,
  taken from the right, so its oldest is at index -1; an id starting with '0:' is a marker that
  older versions left in it); `prioritized` is a sorted set scored priority * 2^32 + a counter
  that grows with every insert, so the first member of each priority level is that level's
  oldest; `delayed` is a sorted set scored (the time it is due, ms) * 0x1000 + a counter, so its
  members scored up to (now + 1) * 0x1000 - 1 are due (BullMQ moves them to wait when a worker
  next looks). A job's hash is the queue's key prefix followed by the job's id.

  KEYS[1] the queue's wait list
  KEYS[2] the queue's prioritized sorted set
  KEYS[3] the queue's delayed sorted set

  ARGV[1] now, ms since the epoch
  ARGV[2] the queue's key prefix (`<prefix>:<queue name>:`)
  ARGV[3] at most how many priority levels to look at for their oldest job

  Reply: {waiting, prioritized, due, firstDueAt, candidates}
    waiting: jobs in the wait list (markers left out); prioritized: jobs in the prioritized set;
    due: delayed jobs that are due; firstDueAt: when the earliest due job became due (ms), 0 for
    none; candidates: a flat list of job id, job timestamp (ms, when it was added), for the oldest
    job of the wait list and of each priority level looked at: the oldest waiting job is one of them.
]]
local now = tonumber(ARGV[1])
local prefix = ARGV[2]
local levels = tonumber(ARGV[3])

local function is_marker(id) return string.sub(id, 1, 2) == '0:' end

local waiting = redis.call('LLEN', KEYS[1])
local head = redis.call('LINDEX', KEYS[1], 0)
if head and is_marker(head) then waiting = waiting - 1 end
local prioritized = redis.call('ZCARD', KEYS[2])
local due_max = (now + 1) * 0x1000 - 1
local due = redis.call('ZCOUNT', KEYS[3], 0, due_max)

local candidates = {}
local function candidate(id)
  local timestamp = redis.call('HGET', prefix .. id, 'timestamp')
  if timestamp then
    candidates[#candidates + 1] = id
    candidates[#candidates + 1] = timestamp
  end
end

local tail = redis.call('LINDEX', KEYS[1], -1)
if tail and not is_marker(tail) then candidate(tail) end

local from = 0
for _ = 1, levels do
  local first = redis.call('ZRANGEBYSCORE', KEYS[2], from, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #first == 0 then break end
  candidate(first[1])
  from = (math.floor(tonumber(first[2]) / 0x100000000) + 1) * 0x100000000
end

local first_due_at = 0
local first_due = redis.call('ZRANGEBYSCORE', KEYS[3], 0, due_max, 'WITHSCORES', 'LIMIT', 0, 1)
if #first_due > 0 then first_due_at = math.floor(tonumber(first_due[2]) / 0x1000) end

return {waiting, prioritized, due, first_due_at, candidates}
