-- The keys of a session's records, built from the session's key (`s`) as redis/keys.ts builds
-- them: each is the session's key with a suffix, so it carries the same hash tag (one slot). A
-- script then takes one key, the session's, instead of one per record. A unit test
-- (redis/lua-files.spec.ts) holds these suffixes to keys.ts.
local function tasks_key(s) return s .. ':tasks' end
local function shared_key(s) return s .. ':state:shared' end
local function outputs_key(s) return s .. ':outputs' end
local function events_key(s) return s .. ':events' end
local function log_key(s) return s .. ':log' end
local function task_key(s, id) return s .. ':task:' .. id end
local function pending_key(s, id) return s .. ':pending:' .. id end
