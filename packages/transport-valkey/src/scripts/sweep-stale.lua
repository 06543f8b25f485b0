--[[ sweep-stale: removes what crashed processes left behind in a queue's consumer groups.
  A fan-out group (name starting with the fan-out prefix) other than the caller's is destroyed when
  every consumer in it has been idle longer than the threshold, or when it has no consumer and
  its last-delivered id is older than the threshold; its delayed and lease-extension members go
  with it. In the other groups, a consumer other than the caller with no pending entries and idle
  longer than the threshold is deleted (one with pending entries is kept: deleting it would lose
  them; reclaim moves them first).
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash
  ARGV[1] caller's group  ARGV[2] caller's consumer  ARGV[3] idle threshold ms  ARGV[4] fan-out group prefix
  returns { groups destroyed, consumers deleted } ]]
-- @include lib-held

local stream, delayed, ext = KEYS[1], KEYS[2], KEYS[3]
local me_group, me, threshold, fan_prefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if redis.call('EXISTS', stream) == 0 then return { 0, 0 } end
local now = server_ms()

local function field(info, name)
  for i = 1, #info, 2 do
    if info[i] == name then return info[i + 1] end
  end
  return nil
end

local function drop_members(key, prefix, list)
  for _, m in ipairs(list) do
    if string.sub(m, 1, #prefix) == prefix then
      if key == delayed then redis.call('ZREM', key, m) else redis.call('HDEL', key, m) end
    end
  end
end

local destroyed, deleted = 0, 0
for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local name = field(g, 'name')
  local consumers = redis.call('XINFO', 'CONSUMERS', stream, name)
  if name ~= me_group and string.sub(name, 1, #fan_prefix) == fan_prefix then
    local stale
    if #consumers == 0 then
      local last = field(g, 'last-delivered-id')
      local ms = tonumber(string.match(last, '^(%d+)-')) or 0
      stale = now - ms > threshold
    else
      stale = true
      for _, c in ipairs(consumers) do
        if field(c, 'idle') <= threshold then stale = false break end
      end
    end
    if stale then
      redis.call('XGROUP', 'DESTROY', stream, name)
      drop_members(delayed, name .. '\n', redis.call('ZRANGE', delayed, 0, -1))
      drop_members(ext, name .. '\n', redis.call('HKEYS', ext))
      destroyed = destroyed + 1
    end
  else
    for _, c in ipairs(consumers) do
      local cname = field(c, 'name')
      if not (name == me_group and cname == me) and field(c, 'pending') == 0 and field(c, 'idle') > threshold then
        redis.call('XGROUP', 'DELCONSUMER', stream, name, cname)
        deleted = deleted + 1
      end
    end
  end
end
return { destroyed, deleted }
