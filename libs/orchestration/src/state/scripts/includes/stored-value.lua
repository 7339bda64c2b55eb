-- A state entry's stored value, `<version>:<json>`, as stored-value.ts' decodeStored reads it:
-- `stored(raw)` answers its version (a string, '0' when there is none) and its JSON (nil when
-- there is none); `version_of(raw)` the version alone, without copying the JSON.
local function stored(raw)
  if not raw then return '0', nil end
  local version, json = string.match(raw, '^(%d+):(.*)$')
  if version then return version, json end
  return '0', raw
end
local function version_of(raw)
  if not raw then return '0' end
  return string.match(raw, '^(%d+):') or '0'
end
