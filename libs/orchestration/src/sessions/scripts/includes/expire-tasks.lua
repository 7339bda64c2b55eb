-- `expire_tasks(list, seconds, taskPrefix, pendingPrefix, from, to, jobPrefix, jobIdPrefix)` gives
-- a batch of a session's tasks a time to live: their hashes, their pending sets, and (with a job
-- prefix) their BullMQ jobs (the job hash and the keys BullMQ hangs off it), which BullMQ itself
-- only removes when a later job of the same queue finishes past their age. Jobs of tasks that
-- finished have theirs already (finish.lua), so a completed session passes no job prefix. The
-- batch is the ids at positions from..to of the task list; taskPrefix and pendingPrefix are the
-- prefixes of the tasks' hash and pending set keys; jobPrefix is the shard's BullMQ key prefix
-- ('<tag>:') or ''; a job lives in the queue of its task's first capability, or for a task of
-- kind wait or signal in the wait queue (keys.ts' WAIT_QUEUE). Answers how many ids
-- it found (fewer than asked: the list ended).

-- A BullMQ job's keys: its hash and those BullMQ keeps beside it (`<job key><suffix>`); `:lock`
-- expires by itself. session-retention.service.ts reads them (jobKeySuffixes in expire-tasks.ts).
local JOB_KEY_SUFFIXES = { '', ':logs', ':dependencies', ':processed', ':failed', ':unsuccessful' }

local function expire_tasks(list, seconds, taskPrefix, pendingPrefix, from, to, jobPrefix, jobIdPrefix)
  local ids = redis.call('LRANGE', list, from, to)
  for _, id in ipairs(ids) do
    local task = taskPrefix .. id
    local queue = false
    if jobPrefix ~= '' then
      local found = redis.call('HMGET', task, 'capabilities', 'kind')
      if found[2] == 'wait' or found[2] == 'signal' then
        queue = 'sy.wait'
      elseif found[1] then
        queue = cjson.decode(found[1])[1]
      end
    end
    redis.call('EXPIRE', task, seconds)
    redis.call('EXPIRE', pendingPrefix .. id, seconds)
    if queue then
      local job = jobPrefix .. queue .. ':' .. jobIdPrefix .. id
      for _, suffix in ipairs(JOB_KEY_SUFFIXES) do redis.call('EXPIRE', job .. suffix, seconds) end
    end
  end
  return #ids
end
