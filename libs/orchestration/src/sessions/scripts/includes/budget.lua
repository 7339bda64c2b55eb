-- A session's budget (its hash's `budget`, JSON `{ tokens?, costUsd?, tasks?, wallMs? }`) against
-- what it used: `usage:totalTokens` and `usage:costUsd` (record-usage.lua), `tasksStarted`
-- (start-task.lua) and the time since `budgetFrom` (epoch ms, written with the budget).
--
-- `budget_over(s, starting, newTask)` answers false, or {limit, used, budget JSON}. Starting a
-- task, a limit counts once reached (used >= limit: the start would go past it), and `tasks` only
-- for a task's first run (`newTask`); otherwise (usage just recorded, a timer) a limit counts once
-- passed (used > limit).
local BUDGET_LIMITS = { 'tokens', 'costUsd', 'tasks', 'wallMs' }

local function budget_over(s, starting, newTask)
  local record = redis.call('HMGET', s, 'budget', 'usage:totalTokens', 'usage:costUsd', 'tasksStarted', 'budgetFrom')
  if not record[1] then return false end
  local budget = cjson.decode(record[1])
  local time = redis.call('TIME')
  local used = {
    tokens = tonumber(record[2]) or 0,
    costUsd = tonumber(record[3]) or 0,
    tasks = tonumber(record[4]) or 0,
    wallMs = math.floor(tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000) - (tonumber(record[5]) or 0),
  }
  for _, limit in ipairs(BUDGET_LIMITS) do
    local max = budget[limit]
    if max and (limit ~= 'tasks' or newTask) then
      local u = used[limit]
      if u > max or (starting and u >= max) then return { limit, tostring(u), record[1] } end
    end
  end
  return false
end
