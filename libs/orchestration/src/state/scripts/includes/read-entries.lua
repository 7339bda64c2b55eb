-- `read_entries(out, k, a)` appends to `out` the stored value of each entry whose key is
-- KEYS[k + 1…] and whose field is ARGV[a + 1…], false for one not stored; answers `out`.
local function read_entries(out, k, a)
  for i = k + 1, #KEYS do
    out[#out + 1] = redis.call('HGET', KEYS[i], ARGV[i - k + a]) or false
  end
  return out
end
