--[[
  Parks a task for the remote agents: its record, then its id at the end of its pending list.

  KEYS[1] the pending list (the task's tenant and first capability)
  KEYS[2] the park hash

  ARGV[1] park id
  ARGV[2] the task as the agent sees it, JSON (with `capabilities` and `agentType`)
  ARGV[3] the task id
  ARGV[4] the park's time to live, ms (the parking worker renews it while it waits)

  Reply: 1.
]]
redis.call('HSET', KEYS[2], 'task', ARGV[2], 'taskId', ARGV[3], 'state', 'pending')
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
