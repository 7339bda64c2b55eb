--[[
  Starts tasks of one shard: the one way a task's run begins. For each task it reads what the run
  needs (the session's status and goal, the shared context, the outputs of the tasks whose results
  it receives), tells whether the task must still wait, and, when asked, marks it running and
  counts the run. A pending session becomes running here, when its first task may go.

  The clock rule: a start time is the worker's clock when it asked (ARGV `now`), but never before
  the task became ready nor before any task whose output it receives finished (another process
  stamped those; ISO times of one format compare as strings).

  KEYS[1], KEYS[2], ... the session's hash of each task, in the order of the tasks in ARGV

  ARGV[1] the number of the first task's arguments, then those arguments; then the next task's
          number and arguments, and so on. A task's arguments:
    [1] '1' to mark the task running (its agent is chosen), '0' to only look
    [2] the agent's id ('' when only looking)
    [3] the worker's identity (JSON)
    [4] now (ISO 8601)
    [5] the ids whose outputs the task receives (JSON)
    [6] the task's id
    [7] the session log's bound
    [8], [9] the log entry saying the task started, around its attempt number ('' for none)
    [10..] the ids whose outputs to read (as [5])

  A session with a budget (see includes/budget.lua) starts no task once a limit is reached: the
  check and the count of started tasks (`tasksStarted`, first runs only) are part of the start, so
  two workers racing at the limit never both start past it.

  Reply: a list, one reply per task:
    {'ended', status or false}  the session ended (or does not exist): start nothing
    {'budget', status, limit, used, budget}  the session reached a limit of its budget (JSON):
      start nothing (the worker ends the session)
    {'done', status, output}    the task completed before (its job runs again): only wake-ups may be missing
    {'hold', status}            a dependency or child of the task has not finished
    {'go', status, goal, attempt, shared, outputs, readyAt, tenant, outputBytes, budget, budgetFrom}
      attempt: which run this is (0 when only looking); shared: the shared context as a flat
      field/value list, or false for a session's later tasks in the batch (the first one's
      holds it); outputs: one per id of [10..], false for none; readyAt: when the task last
      became ready ('' if unknown); tenant: '' for a session stored without one; outputBytes:
      what the session's stored outputs take (see the write-back); budget: the session's budget
      (JSON, '' for none) and budgetFrom, the epoch ms its wallMs counts from
]]
--- @include "budget"
--- @include "emit"
--- @include "log-append"
--- @include "session-keys"

local sessions = {}

local function session_of(s)
  local session = sessions[s]
  if not session then
    local record = redis.call('HMGET', s, 'status', 'goal', 'tenant', 'outputBytes', 'budget', 'budgetFrom')
    session = { status = record[1], goal = record[2] or '', tenant = record[3] or '', outputBytes = tonumber(record[4]) or 0,
      budget = record[5] or '', budgetFrom = record[6] or '' }
    sessions[s] = session
  end
  return session
end

-- The clock rule (see the header).
local function start_time(s, now, readyAt, inputs)
  local at = now
  if readyAt and readyAt > at then at = readyAt end
  for _, id in ipairs(inputs) do
    local finished = redis.call('HGET', task_key(s, id), 'finishedAt')
    if finished and finished > at then at = finished end
  end
  return at
end

local function mark_running(s, A, taskKey, attempt, at)
  redis.call('HSET', taskKey, 'status', 'running', 'agentId', A[2], 'worker', A[3], 'startedAt', at,
    'inputFrom', A[5], 'error', '', 'waitingFor', '', 'attempts', attempt)
  -- Task ids are plain (see ATTACH_TASKS), the worker is JSON already.
  emit(events_key(s), 'task', '{"taskId":"' .. A[6] .. '","status":"running","attempt":' .. attempt .. ',"agentId":' ..
    cjson.encode(A[2]) .. ',"worker":' .. A[3] .. ',"at":"' .. at .. '"}')
  if A[8] ~= '' then append_log(log_key(s), A[7], A[8] .. attempt .. A[9]) end
end

local function start(s, A)
  local session = session_of(s)
  local status = session.status
  if not status or status == 'completed' or status == 'failed' or status == 'cancelled' then return {'ended', status} end
  local taskKey = task_key(s, A[6])
  local task = redis.call('HMGET', taskKey, 'status', 'readyAt', 'attempts')
  if task[1] == 'completed' then return {'done', status, redis.call('HGET', outputs_key(s), A[6])} end
  if redis.call('SCARD', pending_key(s, A[6])) > 0 then return {'hold', status} end
  local inputs = {}
  local outputs = {}
  for i = 10, #A do
    inputs[#inputs + 1] = A[i]
    outputs[#outputs + 1] = redis.call('HGET', outputs_key(s), A[i])
  end
  local marking = A[1] == '1'
  local attempt = 0
  if marking and session.budget ~= '' then
    local newTask = (tonumber(task[3]) or 0) == 0
    local over = budget_over(s, true, newTask)
    if over then return {'budget', status, over[1], over[2], over[3]} end
    if newTask then redis.call('HINCRBY', s, 'tasksStarted', 1) end
  end
  if marking or status == 'pending' then
    local at = start_time(s, A[4], task[2], inputs)
    if status == 'pending' then
      redis.call('HSET', s, 'status', 'running', 'startedAt', at, 'updatedAt', at)
      status = 'running'
      session.status = status
      emit(events_key(s), 'session', cjson.encode({ status = 'running', at = at }))
    end
    if marking then
      attempt = (tonumber(task[3]) or 0) + 1
      mark_running(s, A, taskKey, attempt, at)
    end
  end
  local shared = false
  if not session.shared then
    shared = redis.call('HGETALL', shared_key(s))
    session.shared = true
  end
  return {'go', status, session.goal, attempt, shared, outputs, task[2] or '', session.tenant, session.outputBytes, session.budget,
    session.budgetFrom}
end

local replies = {}
local a = 1
for k = 1, #KEYS do
  local n = tonumber(ARGV[a])
  -- Copied rather than unpacked: a task may receive more outputs than Lua's stack takes.
  local A = {}
  for i = 1, n do A[i] = ARGV[a + i] end
  replies[k] = start(KEYS[k], A)
  a = a + 1 + n
end
return replies
