--[[ lib-held (included): the fence. A delivery is held when its entry is pending in `group` for
  `consumer` with exactly `count` deliveries and is not parked in the delayed set (released).
  A missing group (NOGROUP: the server lost its data) means nothing is held.
  Members of the delayed set and of the lease-extension hash are `<group>\n<id>`. ]]
local function is_held(stream, delayed, group, consumer, id, count, skip_parked_check)
  local p = redis.pcall('XPENDING', stream, group, id, id, 1)
  if type(p) ~= 'table' or p.err or #p == 0 then return false end
  if p[1][2] ~= consumer or p[1][4] ~= count then return false end
  if not skip_parked_check and redis.call('ZSCORE', delayed, group .. '\n' .. id) then return false end
  return true
end

local function server_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Calls `fn` with `ids` in chunks of 1000 (Lua's unpack has a stack limit).
local function in_chunks(ids, fn)
  for i = 1, #ids, 1000 do fn(unpack(ids, i, math.min(i + 999, #ids))) end
end
