--[[
  Records the deployment once: the first call writes the record, later ones read it.

  KEYS[1] the deployment's record (a hash)

  ARGV[1] and on: the record's field/value pairs

  Reply: false when it wrote the record, else the stored record (flat, as HGETALL answers it).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGETALL', KEYS[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV))
return false
