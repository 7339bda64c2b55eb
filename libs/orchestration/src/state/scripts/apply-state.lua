--[[
  Applies state writes all or nothing: first every check, then every new value is computed and
  validated, and only then is anything written (Lua cannot undo, so nothing is written before all
  of it is known to succeed). Each entry is one hash field holding `<version>:<json>` (see
  stored-value.ts): a write stores the commit's new version with the value. Every write of the
  state, a single `set` as much as a whole transaction, goes through this script, so checks, size
  limits, versions and clean-up rules hold the same everywhere.

  Several transactions go in one call: each is checked and applied on its own, one after the
  other, as separate calls would be, and gets its own answer. Once the session has ended (its hash
  has a time to live), every key written gets at most the session's remaining time to live, so no
  state key outlives the session's retention.

  KEYS[1] the session's hash
  KEYS[2] the state's version counter
  KEYS[3] the state index (the keys that get the session's retention)
  KEYS[4..] the entry and lock keys of all the transactions, each once

  ARGV[1] the largest value, in bytes
  ARGV[2] T, the number of transactions
  ARGV[3..] per transaction, the count of its arguments, then its arguments:
            L, the number of lock keys it holds, and L pairs (index into KEYS of a lock key, the
              token it must still hold; they are deleted once the writes succeeded);
            F, the number of lock keys that must be free (a commit that took no lock respects
              the others'), and F indexes into KEYS;
            C, the number of version checks, and C triples (index into KEYS of the entry's key,
              field, expected version);
            then its ops, six fields each: op (set | del | incr | append), index into KEYS of
              the entry's key, field, payload (JSON value; for incr the number to add; for
              append the JSON items joined by commas), ttl ms (> 0 set it, < 0 set -ttl only if
              the key has none, 0 leave it), indexed ('1' or '0')

  Reply: one reply per transaction: {'ok', version, results…} (an incr's result is its new
  number), or {'session_gone'}, {'lock_expired', i}, {'locked', i}, {'conflict', i, actual
  version}, {'too_large', op, bytes}, {'not_number', op}, {'not_array', op}, or {'failed',
  Redis' error} when a command of its own failed (a key of another type where an entry should
  be), which leaves the others' answers as they are.
]]
--- @include "stored-value"
local n = tonumber(ARGV[2])
local out = {}
local sessionTtl = redis.call('PTTL', KEYS[1])
if sessionTtl == -2 then
  for t = 1, n do out[t] = {'session_gone'} end
  return out
end
local maxBytes = tonumber(ARGV[1])
local function written(dk, ttl, indexed)
  if ttl > 0 then redis.call('PEXPIRE', dk, ttl) end
  if ttl < 0 and redis.call('PTTL', dk) == -1 then redis.call('PEXPIRE', dk, -ttl) end
  if indexed == '1' then redis.call('SADD', KEYS[3], dk) end
end
local function follow(key)
  if sessionTtl > 0 then
    local t = redis.call('PTTL', key)
    if t == -1 or t > sessionTtl then redis.call('PEXPIRE', key, sessionTtl) end
  end
end
-- One transaction: its arguments are ARGV[p..last].
local function apply(p, last)
  local nLocks = tonumber(ARGV[p])
  local locks = p + 1
  p = p + 1
  for i = 1, nLocks do
    if redis.call('GET', KEYS[tonumber(ARGV[p])]) ~= ARGV[p + 1] then return {'lock_expired', i} end
    p = p + 2
  end
  local nFree = tonumber(ARGV[p]); p = p + 1
  for i = 1, nFree do
    if redis.call('EXISTS', KEYS[tonumber(ARGV[p])]) == 1 then return {'locked', i} end
    p = p + 1
  end
  local nChecks = tonumber(ARGV[p]); p = p + 1
  for i = 1, nChecks do
    local actual = version_of(redis.call('HGET', KEYS[tonumber(ARGV[p])], ARGV[p + 1]))
    if actual ~= ARGV[p + 2] then return {'conflict', i, actual} end
    p = p + 3
  end
  -- Done: the locks checked above are released once the writes are, saving the transaction a round trip.
  local function release()
    for i = 0, nLocks - 1 do redis.call('DEL', KEYS[tonumber(ARGV[locks + 2 * i])]) end
  end
  -- The common case, one set while the session runs: written at once, without the bookkeeping below
  -- (tables of the pending values by entry, then a second pass that writes them), which a lone set
  -- needs none of.
  if last == p + 5 and ARGV[p] == 'set' and sessionTtl == -1 then
    local new = ARGV[p + 3]
    if #new > maxBytes then return {'too_large', 1, #new} end
    local version = redis.call('INCR', KEYS[2])
    local dk = KEYS[tonumber(ARGV[p + 1])]
    redis.call('HSET', dk, ARGV[p + 2], version .. ':' .. new)
    written(dk, tonumber(ARGV[p + 4]), ARGV[p + 5])
    release()
    return {'ok', version}
  end
  local pending = {}
  local entries = {}
  local byId = {}
  local results = {}
  local op = 0
  local current
  while p <= last do
    op = op + 1
    local kind, dk, df, payload = ARGV[p], KEYS[tonumber(ARGV[p + 1])], ARGV[p + 2], ARGV[p + 3]
    local ttl, indexed = tonumber(ARGV[p + 4]), ARGV[p + 5]
    p = p + 6
    local id = dk .. '\n' .. df
    local new
    if kind == 'set' then
      new = payload
    elseif kind == 'del' then
      new = false
    else
      -- incr and append build on the value: this transaction's pending one, or the stored one.
      current = pending[id]
      if current == nil then
        local _, json = stored(redis.call('HGET', dk, df) or nil)
        current = json or false
      end
    end
    if kind == 'incr' then
      local n = 0
      if current then
        n = tonumber(current)
        if n == nil then return {'not_number', op} end
      end
      n = n + tonumber(payload)
      if n == math.floor(n) and math.abs(n) < 9007199254740992 then new = string.format('%d', n) else new = string.format('%.17g', n) end
      results[#results + 1] = new
    elseif kind == 'append' then
      if not current or current == '[]' then
        new = '[' .. payload .. ']'
      elseif string.sub(current, 1, 1) ~= '[' then
        return {'not_array', op}
      else
        new = string.sub(current, 1, -2) .. ',' .. payload .. ']'
      end
    end
    if new and #new > maxBytes then return {'too_large', op, #new} end
    if pending[id] == nil then
      byId[id] = {id, dk, df, 0, '0'}
      entries[#entries + 1] = byId[id]
    end
    pending[id] = new
    local e = byId[id]
    if ttl ~= 0 then e[4] = ttl end
    if indexed == '1' then e[5] = '1' end
  end
  local version = redis.call('INCR', KEYS[2])
  for _, e in ipairs(entries) do
    local id, dk, df = e[1], e[2], e[3]
    local new = pending[id]
    if new then
      redis.call('HSET', dk, df, version .. ':' .. new)
      written(dk, e[4], e[5])
      follow(dk)
    else
      redis.call('HDEL', dk, df)
    end
  end
  if sessionTtl > 0 then
    follow(KEYS[2])
    if redis.call('EXISTS', KEYS[3]) == 1 then follow(KEYS[3]) end
  end
  release()
  return {'ok', version, unpack(results)}
end
local p = 3
for t = 1, n do
  local count = tonumber(ARGV[p])
  local ok, reply = pcall(apply, p + 1, p + count)
  if ok then
    out[t] = reply
  else
    out[t] = {'failed', type(reply) == 'table' and reply.err or tostring(reply)}
  end
  p = p + count + 1
end
return out
