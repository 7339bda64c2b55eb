import { ENTRY_FIELD } from '../log/log-entry';
import { RedisScript } from '../redis/redis-script';
import { keys, ShardTag } from '../redis/keys';

/**
 * The Lua scripts of the session store: each is one atomic step of a session's bookkeeping, and
 * appends the state changes it makes to the session's event stream in the same step, so the
 * stream's order is the order of the changes.
 */

/** Most events a session's stream keeps (approximately; the oldest go first). */
export const EVENTS_MAX = 100_000;

/** A BullMQ job's keys: its hash and those BullMQ keeps beside it (`<job key><suffix>`); `:lock` expires by itself. */
export const JOB_KEY_SUFFIXES = ['', ':logs', ':dependencies', ':processed', ':failed', ':unsuccessful'] as const;

/** The keys BullMQ keeps beside a parent's job, about its children. */
const JOB_CHILDREN_SUFFIXES = [':dependencies', ':processed', ':failed', ':unsuccessful'] as const;

/**
 * Appends an entry (its JSON, as encodeLogEntry makes it) to a session's log, as SessionLogWriter
 * does: trimmed to the bound, and dropped when the log does not exist (the session expired).
 */
const LOG_APPEND = `
local function append_log(log, bound, entry)
  redis.call('XADD', log, 'NOMKSTREAM', 'MAXLEN', bound, '*', '${ENTRY_FIELD}', entry)
end
`;

const EMIT = `
local function emit(stream, kind, data)
  redis.call('XADD', stream, 'MAXLEN', '~', ${EVENTS_MAX}, '*', 'type', kind, 'data', data)
end
`;

/** Task statuses that are final: a task in one of them never changes again. */
export const FINAL_TASK_STATUSES = ['completed', 'failed', 'skipped', 'cancelled'] as const;

/**
 * Sets a task's status (and fields with it), unless the task is gone or already finished: a
 * finished task's status never changes, whatever job comes back for it later (a stalled job
 * handed out again after its session ended, say). Answers 1 when it set it, 0 when the task was
 * finished, -1 when it does not exist. KEYS[1] the task's hash, KEYS[2] the session's events;
 * ARGV[1] task id, ARGV[2] status, ARGV[3] time, ARGV[4..] field/value pairs to set with it.
 */
export const SET_TASK_STATUS = new RedisScript(`${EMIT}
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return -1 end
for _, final in ipairs({${FINAL_TASK_STATUSES.map((status) => `'${status}'`).join(', ')}}) do
  if current == final then return 0 end
end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
emit(KEYS[2], 'task', cjson.encode({ taskId = ARGV[1], status = ARGV[2], at = ARGV[3] }))
return 1
`);

/**
 * Moves a session from one of the given statuses to another, atomically; answers 1 when it did.
 * KEYS[1] session hash, KEYS[2] events; ARGV[1] comma list of allowed current statuses, ARGV[2]
 * new status, ARGV[3..] field/value pairs to set with it (a `result` or `error` field, which is
 * JSON, goes into the event too; `updatedAt` is its time).
 */
export const TRANSITION = new RedisScript(`${EMIT}
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return -1 end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == current then allowed = true end end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
local extra = ''
local at = ''
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'result' or ARGV[i] == 'error' then extra = extra .. ',"' .. ARGV[i] .. '":' .. ARGV[i + 1] end
  if ARGV[i] == 'updatedAt' then at = ARGV[i + 1] end
end
emit(KEYS[2], 'session', '{"status":' .. cjson.encode(ARGV[2]) .. ',"at":' .. cjson.encode(at) .. extra .. '}')
return 1
`);

/**
 * Lua: the keys of a session's records, built from the session's key as keys.ts builds them (each
 * is the session's key with a suffix, so it carries the same hash tag: one slot). A task's start
 * and write-back then take one key, the session's, instead of seven long ones.
 */
const SESSION_KEYS = (() => {
  const tag = '{t}' as ShardTag;
  const base = keys.session(tag, 's');
  const suffix = (key: string) => {
    if (!key.startsWith(base)) throw new Error(`${key} does not extend the session's key ${base}`);
    return key.slice(base.length);
  };
  return `
local function shared_key(s) return s .. '${suffix(keys.sharedState(tag, 's'))}' end
local function outputs_key(s) return s .. '${suffix(keys.outputs(tag, 's'))}' end
local function events_key(s) return s .. '${suffix(keys.events(tag, 's'))}' end
local function log_key(s) return s .. '${suffix(keys.log(tag, 's'))}' end
local function task_key(s, id) return s .. '${suffix(keys.task(tag, 's', ''))}' .. id end
local function pending_key(s, id) return s .. '${suffix(keys.pendingDeps(tag, 's', ''))}' .. id end
`;
})();

/**
 * Runs the Lua function `fn(K, A)` once per task of a batch, in order, answering its answers in a
 * list: KEYS are the tasks' keys one after the other, ARGV per task the number of its keys and of
 * its arguments, then the arguments. One script call for the tasks of one tick (see
 * WriteBackStore), instead of one each.
 */
const batchOf = (fn: string) => `
local replies = {}
local k, a = 1, 1
while a <= #ARGV do
  local nk, na = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  replies[#replies + 1] = ${fn}({unpack(KEYS, k, k + nk - 1)}, {unpack(ARGV, a + 2, a + 1 + na)})
  k = k + nk
  a = a + 2 + na
end
return replies
`;

/**
 * Finishes a task (completed with its output, or failed / skipped without one), then tells the
 * tasks waiting on it (its dependants and its parent): each drops it from its pending set, and
 * those left with nothing pending become ready. One script, so two dependencies finishing at the
 * same instant on two workers cannot both miss — or both cause — a wake-up. Idempotent when a
 * task runs again: a task already completed keeps its output, status and finish time.
 * The session's hash counts the bytes its stored outputs take (`outputBytes`); an output that
 * would take them over the session's bound is refused whole: nothing is written, nobody told.
 * The task's BullMQ job gets the retention as its time to live here, as BullMQ's removeOnComplete
 * age would remove it that long after it finished; so a completed session need not visit its
 * tasks' jobs (EXPIRE_TASKS without them).
 * A Lua function of the task's keys K and arguments A. K[1] the session (its other keys, the
 * task's and its waiters' are built from it, see SESSION_KEYS). A[1] task id,
 * A[2] output JSON ('' for none), A[3] finish time, A[4] final status, A[5] the key of the task's
 * job ('' to leave it), A[6] seconds to keep it, A[7] '1' when the job has children (BullMQ keeps
 * their results beside it), A[8] the log's bound, A[9] a log entry to append ('' for none, see
 * LOG_APPEND), A[10] the most bytes the session's outputs may take, A[11..] the waiters' ids.
 * Answers the 1-based waiter indexes now ready, or {0, bytes the outputs held} when the output
 * was refused.
 */
const FINISH = `${EMIT}${LOG_APPEND}${SESSION_KEYS}
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
      for _, suffix in ipairs({${JOB_CHILDREN_SUFFIXES.map((suffix) => `'${suffix}'`).join(', ')}}) do redis.call('EXPIRE', A[5] .. suffix, A[6]) end
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
`;

/** One task's finish (see FINISH): KEYS and ARGV are its K and A. */
export const FINISH_TASK = new RedisScript(`${FINISH}
return finish(KEYS, ARGV)
`);

/** The finishes of several tasks of one shard (see batchOf and FINISH). */
export const FINISH_TASKS = new RedisScript(`${FINISH}${batchOf('finish')}`);

/**
 * Records a batch of a plan's tasks: each task's hash (`waiting` while anything is pending, else
 * `ready` since ARGV[1]), its pending set, its `waiting`/`ready` event, and its id at the end of
 * the session's task list. A task that has a hash already is skipped, so a batch sent again
 * (after a failure part-way through a plan) adds nothing twice.
 * KEYS[1] the task list, KEYS[2] events; ARGV[1] now, [2] the prefix of task hash keys, [3] the
 * prefix of pending set keys (both end in ':' and carry the session's hash tag, so every key is in
 * the slot of KEYS), [4] JSON rows: [id, parentId ('' for none), capabilities JSON, dependsOn
 * JSON, title ('' for none), [pending ids]]. Task ids are plain (letters, digits, '_', '.', '-'),
 * so they go into the event's JSON as they are. Answers how many tasks it recorded.
 */
export const ATTACH_TASKS = new RedisScript(`${EMIT}
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
`);

/** Tasks per script call when a plan's bookkeeping is written (ATTACH_TASKS) or expired (EXPIRE_SESSION, EXPIRE_TASKS). */
export const TASK_BATCH = 1000;

/**
 * Gives a batch of a session's tasks a time to live: their hashes, their pending sets, and (with
 * a job prefix) their BullMQ jobs (the job hash and the keys BullMQ hangs off it), which BullMQ
 * itself only removes when a later job of the same queue finishes past their age. Jobs of tasks
 * that finished have theirs already (FINISH_TASK), so a completed session passes no job prefix.
 * `expire_tasks(list, seconds, taskPrefix, pendingPrefix, from, to, jobPrefix, jobIdPrefix)`: the
 * batch is the ids at positions from..to of the task list; the key prefixes are as in
 * ATTACH_TASKS; jobPrefix is the shard's BullMQ key prefix ('<tag>:') or ''; a job lives in the
 * queue of its task's first capability. Answers how many ids it found (fewer than asked: the list
 * ended).
 */
const EXPIRE_TASKS_LUA = `
local function expire_tasks(list, seconds, taskPrefix, pendingPrefix, from, to, jobPrefix, jobIdPrefix)
  local suffixes = {${JOB_KEY_SUFFIXES.map((suffix) => `'${suffix}'`).join(', ')}}
  local ids = redis.call('LRANGE', list, from, to)
  for _, id in ipairs(ids) do
    local task = taskPrefix .. id
    local capabilities = false
    if jobPrefix ~= '' then capabilities = redis.call('HGET', task, 'capabilities') end
    redis.call('EXPIRE', task, seconds)
    redis.call('EXPIRE', pendingPrefix .. id, seconds)
    if capabilities then
      local job = jobPrefix .. cjson.decode(capabilities)[1] .. ':' .. jobIdPrefix .. id
      for _, suffix in ipairs(suffixes) do redis.call('EXPIRE', job .. suffix, seconds) end
    end
  end
  return #ids
end
`;

/**
 * A further batch of a large session's tasks (see expire_tasks): KEYS[1] the task list; ARGV[1]
 * seconds, [2] and [3] the key prefixes, [4] and [5] the range, [6] the job prefix, [7] the
 * prefix of the session's task job ids.
 */
export const EXPIRE_TASKS = new RedisScript(`${EXPIRE_TASKS_LUA}
return expire_tasks(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
`);

/**
 * Gives a finished session's keys their time to live in one call, where it took some twenty
 * commands and three round trips: KEYS[1] the task list, KEYS[2] the state index, then ARGV[2]
 * keys that get the retention (the session's own, its root and planning jobs'), then the state's
 * fixed keys, which like every key in the state index get at most the retention (a temporary
 * entry keeps a shorter time of its own). The session hash gets its time to live first: state
 * written afterwards follows it (STATE_APPLY). ARGV[1] seconds, [3..8] the first batch of tasks
 * as EXPIRE_TASKS' ARGV[2..7]. Answers how many task ids that batch found.
 */
export const EXPIRE_SESSION = new RedisScript(`${EXPIRE_TASKS_LUA}
local seconds = ARGV[1]
local plain = tonumber(ARGV[2])
for i = 3, 2 + plain do redis.call('EXPIRE', KEYS[i], seconds) end
local found = expire_tasks(KEYS[1], seconds, ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
for i = 3 + plain, #KEYS do redis.call('EXPIRE', KEYS[i], seconds, 'LT') end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('EXPIRE', key, seconds, 'LT') end
return found
`);
