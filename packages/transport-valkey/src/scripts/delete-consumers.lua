--[[ delete-consumers: removes named consumers a departed process left in a queue's groups.
  Each named fan-out group is destroyed, with its delayed and lease-extension members. Each named
  competing consumer is deleted only when nothing is pending for it (deleting it would lose its
  pending entries; reclaim moves them to a live consumer first).
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash
  ARGV[1] number n of fan-out groups  ARGV[2..n+1] their names  ARGV[n+2..] group, consumer pairs
  returns the number of groups destroyed plus consumers deleted ]]
local stream, delayed, ext = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', stream) == 0 then return 0 end

local function drop_members(key, prefix, list)
  for _, m in ipairs(list) do
    if string.sub(m, 1, #prefix) == prefix then
      if key == delayed then redis.call('ZREM', key, m) else redis.call('HDEL', key, m) end
    end
  end
end

local n = tonumber(ARGV[1])
local done = 0
for i = 2, n + 1 do
  local group = ARGV[i]
  if redis.call('XGROUP', 'DESTROY', stream, group) == 1 then
    drop_members(delayed, group .. '\n', redis.call('ZRANGE', delayed, 0, -1))
    drop_members(ext, group .. '\n', redis.call('HKEYS', ext))
    done = done + 1
  end
end
for i = n + 2, #ARGV - 1, 2 do
  local group, consumer = ARGV[i], ARGV[i + 1]
  local pending = redis.pcall('XPENDING', stream, group, '-', '+', 1, consumer)
  if type(pending) == 'table' and not pending.err and #pending == 0 then
    if redis.call('XGROUP', 'DELCONSUMER', stream, group, consumer) == 0 then done = done + 1 end
  end
end
return done
