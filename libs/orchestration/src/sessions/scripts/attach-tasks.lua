--[[
  Records a batch of a plan's tasks: each task's hash (`waiting` while anything is pending, else
  `ready` since now), its pending set, its `waiting`/`ready` event, and its id at the end of the
  session's task list. A task that has a hash already is skipped, so a batch sent again (after a
  failure part-way through a plan) adds nothing twice.

  KEYS[1] the session's task ids (a list, in plan order)
  KEYS[2] the session's event stream

  ARGV[1] the time (ISO 8601)
  ARGV[2] the prefix of the tasks' hash keys
  ARGV[3] the prefix of their pending set keys (both prefixes end in ':' and carry the session's
          hash tag, so every key is in the slot of KEYS)
  ARGV[4] JSON rows, one per task: id, parentId ('' for none), capabilities JSON, dependsOn JSON,
          title ('' for none), the list of ids it waits for, and a flat list of further fields
          and values (a task of kind wait or signal: `kind`, `signal`). Task ids are plain (letters,
          digits, '_', '.', '-'), so they go into the event's JSON as they are.

  Reply: how many tasks it recorded.
]]
--- @include "emit"

local rows = cjson.decode(ARGV[4])
local ids = {}
for _, row in ipairs(rows) do
  local id = row[1]
  local pending = row[6]
  local key = ARGV[2] .. id
  -- Written already (by a batch of an earlier attempt, each batch being atomic): left as it is.
  if redis.call('EXISTS', key) == 0 then
    local status = 'ready'
    if #pending > 0 then status = 'waiting' end
    -- One HSET per task: its optional fields are added to the same call.
    local fields = {'status', status, 'parentId', row[2], 'capabilities', row[3], 'dependsOn', row[4], 'attempts', 0}
    if status == 'ready' then fields[#fields + 1] = 'readyAt'; fields[#fields + 1] = ARGV[1] end
    if row[5] ~= '' then fields[#fields + 1] = 'title'; fields[#fields + 1] = row[5] end
    for _, value in ipairs(row[7] or {}) do fields[#fields + 1] = value end
    redis.call('HSET', key, unpack(fields))
    for j = 1, #pending, 1000 do
      redis.call('SADD', ARGV[3] .. id, unpack(pending, j, math.min(j + 999, #pending)))
    end
    emit(KEYS[2], 'task', '{"taskId":"' .. id .. '","status":"' .. status .. '","at":"' .. ARGV[1] .. '"}')
    ids[#ids + 1] = id
  end
end
if #ids > 0 then redis.call('RPUSH', KEYS[1], unpack(ids)) end
return #ids
