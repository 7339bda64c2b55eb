import { RedisScript } from '../redis/redis-script';

/**
 * Renews a worker's agents. KEYS: agents, heartbeats, loads, statuses, revoked.
 * ARGV, per agent: id, record JSON, load, status ('active' | 'draining'), registeredAt.
 * An agent unregistered over REST (in `revoked`, as `<ms>|<registeredAt>`) is not brought back
 * by the process that registered it; its id is answered. (A new process reusing the id is.)
 * Time is Redis's own, so no two clocks are ever compared.
 */
export const HEARTBEAT = new RedisScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local revoked = {}
for i = 1, #ARGV, 5 do
  local id = ARGV[i]
  local gone = redis.call('HGET', KEYS[5], id)
  if gone and string.sub(gone, (string.find(gone, '|', 1, true) or 0) + 1) == ARGV[i + 4] then
    revoked[#revoked + 1] = id
  else
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    redis.call('HSET', KEYS[2], id, now)
    redis.call('HSET', KEYS[3], id, ARGV[i + 2])
    if ARGV[i + 3] == 'draining' then redis.call('HSET', KEYS[4], id, 'draining') else redis.call('HDEL', KEYS[4], id) end
  end
end
return revoked
`);

/**
 * The registry as it is at one instant: KEYS agents, heartbeats, loads, statuses. Answers their
 * four hashes (flat, as HGETALL) and Redis' TIME. Declared read-only (`no-writes`), so Redis runs
 * it while out of memory, when it refuses every MULTI.
 */
export const SNAPSHOT = new RedisScript(`#!lua flags=no-writes
return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4]), redis.call('TIME') }
`);

/**
 * Registers an agent over REST, unless a live one has its id. KEYS as {@link HEARTBEAT};
 * ARGV: id, record JSON, ttl ms. Answers 'live' (refused) or 'ok'.
 */
export const REGISTER = new RedisScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 and last and now - last <= tonumber(ARGV[3]) then return 'live' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], now)
redis.call('HSET', KEYS[3], ARGV[1], 0)
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return 'ok'
`);

/** Renews one agent registered over REST. ARGV: id, load ('' keeps it). Answers 0 if unknown. */
export const TOUCH = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local t = redis.call('TIME')
redis.call('HSET', KEYS[2], ARGV[1], t[1] * 1000 + math.floor(t[2] / 1000))
if ARGV[2] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
return 1
`);

/**
 * Unregisters an agent: its record goes, and that registration is remembered so its worker does
 * not bring it back with the next heartbeat. ARGV: id. Answers 0 if unknown.
 */
export const UNREGISTER = new RedisScript(`
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then return 0 end
local t = redis.call('TIME')
for i = 1, 4 do redis.call('HDEL', KEYS[i], ARGV[1]) end
redis.call('HSET', KEYS[5], ARGV[1], (t[1] * 1000 + math.floor(t[2] / 1000)) .. '|' .. cjson.decode(record).registeredAt)
return 1
`);

/**
 * Forgets agents silent for longer than ARGV[1] ms (workers that died long ago) and revocations
 * as old. Answers how many records went.
 */
export const PURGE = new RedisScript(`
local t = redis.call('TIME')
local before = t[1] * 1000 + math.floor(t[2] / 1000) - tonumber(ARGV[1])
local gone = 0
local beats = redis.call('HGETALL', KEYS[2])
for i = 1, #beats, 2 do
  if tonumber(beats[i + 1]) < before then
    for k = 1, 4 do redis.call('HDEL', KEYS[k], beats[i]) end
    gone = gone + 1
  end
end
local revoked = redis.call('HGETALL', KEYS[5])
for i = 1, #revoked, 2 do
  if tonumber(string.match(revoked[i + 1], '^%d+')) < before then redis.call('HDEL', KEYS[5], revoked[i]) end
end
return gone
`);
