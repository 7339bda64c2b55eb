--[[
  Reads state entries, atomically.

  KEYS[1] the first entry's key (a scope's hash), then one key per entry

  ARGV[1] the first entry's field, then one field per entry

  Reply: each entry's stored value (`<version>:<json>`), false for one not stored.
]]
--- @include "read-entries"

return read_entries({}, 0, 0)
