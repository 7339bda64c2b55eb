--[[
  Finishes one task and wakes its waiters (see includes/finish.lua).

  KEYS[1] the session's hash (its other keys and the task's are built from it)

  ARGV[1] the task's id
  ARGV[2] its output JSON ('' for none)
  ARGV[3] the time it finished (ISO 8601)
  ARGV[4] its final status (completed | failed | skipped)
  ARGV[5] the key of its BullMQ job ('' to leave the job as it is)
  ARGV[6] seconds the job is kept from now
  ARGV[7] '1' when the job has children (their keys are kept as long), else '0'
  ARGV[8] the session log's bound
  ARGV[9] a log entry to append ('' for none)
  ARGV[10] the most bytes the session's outputs may take
  ARGV[11..] the ids of the tasks waiting on it

  Reply: the 1-based indexes (among ARGV[11..]) of the waiters now ready, or {0, bytes the
  outputs held} when the output was refused (nothing was written).
]]
--- @include "emit"
--- @include "log-append"
--- @include "session-keys"
--- @include "finish"

return finish(KEYS, ARGV)
