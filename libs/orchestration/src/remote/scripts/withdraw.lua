--[[
  Takes a parked task back (its run was aborted: the session cancelled, a timeout, a shutdown):
  out of its pending list and its park deleted, so no agent can claim it, and a lease on it ends.

  KEYS[1] the pending list it was parked in
  KEYS[2] the park hash

  ARGV[1] park id

  Reply: 1.
]]
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('DEL', KEYS[2])
return 1
