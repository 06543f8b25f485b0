--[[ reclaim: claims deliveries that are due again for this consumer, counting a new delivery
  (attempt + 1): first released/delayed entries whose due time passed, then expired leases (idle >=
  the queue's lease ms T, unless a lease extension says later). Pending ids whose entry was deleted
  or trimmed (fan-out retention, purge) are acked away instead of looping forever.
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash
  ARGV[1] group  ARGV[2] consumer  ARGV[3] queue lease ms T  ARGV[4] max entries
  ARGV[5] scan cursor ('-' to start)  ARGV[6] lease ms for the claimed deliveries
  returns { next cursor, { id, fields, delivery count }..., dangling ids acked }
  Raises NOGROUP when the group is gone (the caller recreates it). ]]
-- @include lib-held

local stream, delayed, ext = KEYS[1], KEYS[2], KEYS[3]
local group, consumer = ARGV[1], ARGV[2]
local t, max, cursor, lease = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local now = server_ms()
local prefix = group .. '\n'
local claimed, dangling = {}, 0

local function claim(id)
  local got = redis.call('XCLAIM', stream, group, consumer, 0, id)
  local member = prefix .. id
  redis.call('ZREM', delayed, member)
  redis.call('HDEL', ext, member)
  if #got == 0 or got[1] == false then
    redis.call('XACK', stream, group, id)
    dangling = dangling + 1
    return
  end
  local p = redis.call('XPENDING', stream, group, id, id, 1)
  if lease < t then
    redis.call('XCLAIM', stream, group, consumer, 0, id, 'IDLE', t - lease, 'JUSTID')
  elseif lease > t then
    redis.call('HSET', ext, member, now + lease)
  end
  claimed[#claimed + 1] = { id, got[1][2], p[1][4] }
end

local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, max * 4)
for _, member in ipairs(due) do
  if #claimed >= max then break end
  if string.sub(member, 1, #prefix) == prefix then
    local id = string.sub(member, #prefix + 1)
    if #redis.call('XPENDING', stream, group, id, id, 1) > 0 then
      claim(id)
    else
      redis.call('ZREM', delayed, member)
    end
  end
end

local next_cursor = '-'
if #claimed < max then
  local scan = max * 4
  local start = cursor == '-' and '-' or ('(' .. cursor)
  local idle = redis.call('XPENDING', stream, group, 'IDLE', t, start, '+', scan)
  for _, p in ipairs(idle) do
    if #claimed >= max then break end
    local id = p[1]
    next_cursor = id
    local member = prefix .. id
    local parked = redis.call('ZSCORE', delayed, member)
    local until_ms = tonumber(redis.call('HGET', ext, member) or '0')
    if not parked and until_ms <= now then claim(id) end
  end
  if #idle < scan and #claimed < max then next_cursor = '-' end
end

return { next_cursor, claimed, dangling }
