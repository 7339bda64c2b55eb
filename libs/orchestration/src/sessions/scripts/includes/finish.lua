-- `finish(K, A)`: finishes a task (completed with its output, or failed / skipped without one),
-- then tells the tasks waiting on it (its dependants and its parent): each drops it from its
-- pending set, and those left with nothing pending become ready. One script, so two dependencies
-- finishing at the same instant on two workers cannot both miss, or both cause, a wake-up.
-- Idempotent when a task runs again: a task already completed keeps its output, status and finish
-- time. The session's hash counts the bytes its stored outputs take (`outputBytes`); an output
-- that would take them over the session's bound is refused whole: nothing is written, nobody
-- told. The task's BullMQ job gets the retention as its time to live, as BullMQ's
-- removeOnComplete age would remove it that long after it finished.
--
-- K[1] the session's hash (the other keys are built from it, see session-keys)
-- A[1] task id, A[2] output JSON ('' for none), A[3] finish time, A[4] final status, A[5] the key
-- of the task's job ('' to leave it), A[6] seconds to keep it, A[7] '1' when the job has children
-- (BullMQ keeps their results beside it), A[8] the log's bound, A[9] a log entry to append (''
-- for none), A[10] the most bytes the session's outputs may take, A[11..] the waiters' ids.
-- Answers the 1-based waiter indexes now ready, or {0, bytes the outputs held} when the output
-- was refused.
-- It needs the emit, log-append and session-keys includes before it.

-- The keys BullMQ keeps beside a parent's job, about its children (`<job key><suffix>`);
-- finish-task.ts' JOB_CHILDREN_SUFFIXES (a unit test holds them equal).
local JOB_CHILDREN_SUFFIXES = { ':dependencies', ':processed', ':failed', ':unsuccessful' }

local function finish(K, A)
  local s = K[1]
  local events = events_key(s)
  local taskKey = task_key(s, A[1])
  -- A task completed before (its job ran again, or a lost write-back was recovered from the job)
  -- keeps its output and the time it finished: stamping it again would date its completion after
  -- dependants that started meanwhile. Its waiters are told again all the same.
  if not (A[4] == 'completed' and redis.call('HGET', taskKey, 'status') == 'completed') then
    if A[2] ~= '' then
      local outputs = outputs_key(s)
      -- What the outputs hold besides any this task stored before (an output is written once, but
      -- the count must not drift should one be replaced).
      local held = (tonumber(redis.call('HGET', s, 'outputBytes')) or 0) - redis.call('HSTRLEN', outputs, A[1])
      if held + #A[2] > tonumber(A[10]) then return {0, held} end
      redis.call('HSET', outputs, A[1], A[2])
      redis.call('HSET', s, 'outputBytes', held + #A[2])
    end
    redis.call('HSET', taskKey, 'status', A[4], 'finishedAt', A[3])
    emit(events, 'task', cjson.encode({ taskId = A[1], status = A[4], at = A[3] }))
    if A[9] ~= '' then append_log(log_key(s), A[8], A[9]) end
  end
  if A[5] ~= '' then
    redis.call('EXPIRE', A[5], A[6])
    if A[7] == '1' then
      for _, suffix in ipairs(JOB_CHILDREN_SUFFIXES) do redis.call('EXPIRE', A[5] .. suffix, A[6]) end
    end
  end
  local ready = {}
  for i = 1, #A - 10 do
    local pending = pending_key(s, A[10 + i])
    local waiter = task_key(s, A[10 + i])
    redis.call('SREM', pending, A[1])
    if redis.call('SCARD', pending) == 0 then
      if redis.call('HGET', waiter, 'status') == 'waiting' then
        redis.call('HSET', waiter, 'status', 'ready', 'readyAt', A[3])
        emit(events, 'task', cjson.encode({ taskId = A[10 + i], status = 'ready', at = A[3] }))
      end
      ready[#ready + 1] = i
    end
  end
  return ready
end
