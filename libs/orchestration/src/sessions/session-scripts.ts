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
 * TaskRunStore), instead of one each.
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
 * Marks a task running and counts the run (for tasks not started by BEGIN_TASK).
 * KEYS[1] the task's hash, KEYS[2] events; ARGV[1] agent id, [2] worker JSON, [3] now,
 * [4] inputFrom JSON, [5] task id. Answers which run this is.
 */
export const START_TASK = new RedisScript(`${EMIT}
redis.call('HSET', KEYS[1], 'status', 'running', 'agentId', ARGV[1], 'worker', ARGV[2], 'startedAt', ARGV[3],
  'inputFrom', ARGV[4], 'error', '', 'waitingFor', '')
local attempt = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
emit(KEYS[2], 'task', cjson.encode({ taskId = ARGV[5], status = 'running', attempt = attempt, agentId = ARGV[1],
  worker = cjson.decode(ARGV[2]), at = ARGV[3] }))
return attempt
`);

/**
 * The start of a task's run, as a Lua function of its keys K and arguments A. K[1] the session
 * (its other keys and the task's are built from it, see SESSION_KEYS). A[1] '1'
 * to mark the task running, [2] agent id, [3] worker JSON, [4] now (its start time, see below), [5] inputFrom JSON, [6] task
 * id, [7] the log's bound, [8] and [9] the log entry that says the task started, around its
 * attempt number (its JSON is [8] .. attempt .. [9]; '' for none), [10..] the ids whose outputs
 * to read. Answers {status} when the session ended or does not exist, {status,
 * 'done', output} when the task already completed, {status, 'hold'} when it must wait, else
 * {status, 'go', goal, attempt, shared (flat), outputs, readyAt, tenant, outputBytes} (readyAt:
 * when the task last became ready, for dispatch latency; tenant: the session's, for the agent's
 * workspace and per-tenant metrics, '' for a session stored without one; outputBytes: what the
 * session's stored outputs take, see FINISH). In a batch, the session's record and shared state are read
 * once: `shared` is false for its later tasks, whose caller takes the first one's.
 */
const BEGIN = `${EMIT}${LOG_APPEND}${SESSION_KEYS}
local sessions = {}
local function begin(K, A)
  local s = K[1]
  local session = sessions[s]
  if not session then
    local record = redis.call('HMGET', s, 'status', 'goal', 'tenant', 'outputBytes')
    session = { status = record[1], goal = record[2] or '', tenant = record[3] or '', outputBytes = tonumber(record[4]) or 0 }
    sessions[s] = session
  end
  local status = session.status
  if not status then return {false} end
  if status == 'completed' or status == 'failed' or status == 'cancelled' then return {status} end
  local taskKey = task_key(s, A[6])
  local task = redis.call('HMGET', taskKey, 'status', 'readyAt', 'attempts')
  if task[1] == 'completed' then
    -- Its run already finished (the job runs again after a failure past that point).
    return {status, 'done', redis.call('HGET', outputs_key(s), A[6])}
  end
  if redis.call('SCARD', pending_key(s, A[6])) > 0 then return {status, 'hold'} end
  local outputs = {}
  if #A >= 10 then
    local outputsKey = outputs_key(s)
    for i = 10, #A do outputs[i - 9] = redis.call('HGET', outputsKey, A[i]) end
  end
  local attempt = 0
  if A[1] == '1' then
    -- The count read above, plus this run: one command where HINCRBY made a second (the script is atomic).
    attempt = (tonumber(task[3]) or 0) + 1
    -- Its start time: the worker's clock when it asked, but never before the task became ready or
    -- before what it waits for finished. The worker read its clock before this script ran, and in
    -- between, a busy machine may hold the script back while another process finishes one of them
    -- (ISO times of one format compare as strings).
    local at = A[4]
    if task[2] and task[2] > at then at = task[2] end
    for i = 10, #A do
      local finished = redis.call('HGET', task_key(s, A[i]), 'finishedAt')
      if finished and finished > at then at = finished end
    end
    redis.call('HSET', taskKey, 'status', 'running', 'agentId', A[2], 'worker', A[3], 'startedAt', at,
      'inputFrom', A[5], 'error', '', 'waitingFor', '', 'attempts', attempt)
    local events = events_key(s)
    if status == 'pending' then
      redis.call('HSET', s, 'status', 'running', 'startedAt', at, 'updatedAt', at)
      status = 'running'
      session.status = status
      emit(events, 'session', cjson.encode({ status = 'running', at = at }))
    end
    -- Task ids are plain (see ATTACH_TASKS), the worker is JSON already.
    emit(events, 'task', '{"taskId":"' .. A[6] .. '","status":"running","attempt":' .. attempt .. ',"agentId":' ..
      cjson.encode(A[2]) .. ',"worker":' .. A[3] .. ',"at":"' .. at .. '"}')
    if A[8] ~= '' then append_log(log_key(s), A[7], A[8] .. attempt .. A[9]) end
  end
  local shared = false
  if not session.shared then
    shared = redis.call('HGETALL', shared_key(s))
    session.shared = true
  end
  return {status, 'go', session.goal, attempt, shared, outputs, task[2] or '', session.tenant, session.outputBytes}
end
`;

/** One task's start (see BEGIN): KEYS and ARGV are its K and A. */
export const BEGIN_TASK = new RedisScript(`${BEGIN}
return begin(KEYS, ARGV)
`);

/** The starts of several tasks of one shard (see batchOf and BEGIN). */
export const BEGIN_TASKS = new RedisScript(`${BEGIN}${batchOf('begin')}`);

/** Tasks per script call when a plan's bookkeeping is written (scripts/attach-tasks.lua) or expired (scripts/expire-session.lua, expire-tasks.lua). */
export const TASK_BATCH = 1000;
