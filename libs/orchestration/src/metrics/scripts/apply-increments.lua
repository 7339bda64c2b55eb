--[[
  Applies a batch of increments to a shard's metrics hash.

  KEYS[1] the shard's metrics hash

  ARGV, three per increment:
  ARGV[1] 'i' for an integer increment, 'f' for a float one
  ARGV[2] the field
  ARGV[3] the amount

  Reply: how many increments it applied.
]]
for i = 1, #ARGV, 3 do
  if ARGV[i] == 'i' then redis.call('HINCRBY', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  else redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i + 1], ARGV[i + 2]) end
end
return #ARGV / 3
