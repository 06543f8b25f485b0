--[[ activity: who reads a queue and how old its backlog is, for operators.
  KEYS[1] stream  KEYS[2] competing groups set  KEYS[3] fan-out marker  KEYS[4] scheduled set
  ARGV[1] a consumer counts as reading when it touched the stream within this many ms
  ARGV[2] pending entries looked at per group for the redelivered count
  returns { consumers, age in ms (server time) of the oldest entry no group has been handed yet or -1,
            pending entries delivered more than once among the first ARGV[2] pending of each group,
            1 when a group had more pending than that (the count is then a lower bound) else 0 }
  The redelivered count reads delivery counts one pending entry at a time (XPENDING has no
  filter on them), so it is bounded rather than exact for a queue with a huge backlog; the
  group's pending total (XINFO GROUPS) says, in O(1), whether the bound was hit.
  Counts the consumers of competing groups (and of every group once the queue is fan-out). The
  oldest waiting entry is the first after a group's last-delivered id that is not a delayed
  enqueue still due later (up to 10 are looked at per group). ]]
-- @include lib-held

if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, -1, 0, 0 } end
local now = server_ms()
local active_within = tonumber(ARGV[1])
local scan = tonumber(ARGV[2])
local fanout = redis.call('EXISTS', KEYS[3]) == 1
local consumers, oldest, redelivered, partial = 0, -1, 0, 0
for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, last, pending
  for i = 1, #info, 2 do
    if info[i] == 'name' then name = info[i + 1]
    elseif info[i] == 'last-delivered-id' then last = info[i + 1]
    elseif info[i] == 'pending' then pending = info[i + 1] end
  end
  if fanout or redis.call('SISMEMBER', KEYS[2], name) == 1 then
    for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], name)) do
      for i = 1, #c, 2 do
        if c[i] == 'idle' and c[i + 1] <= active_within then consumers = consumers + 1 end
      end
    end
    if pending > 0 then
      for _, p in ipairs(redis.call('XPENDING', KEYS[1], name, '-', '+', scan)) do
        if p[4] > 1 then redelivered = redelivered + 1 end
      end
      if pending > scan then partial = 1 end
    end
    for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 10)) do
      local due = redis.call('ZSCORE', KEYS[4], entry[1])
      if not due or tonumber(due) <= now then
        local ms = tonumber(string.match(entry[1], '^(%d+)'))
        if oldest == -1 or ms < oldest then oldest = ms end
        break
      end
    end
  end
end
if oldest ~= -1 then oldest = math.max(0, now - oldest) end
return { consumers, oldest, redelivered, partial }
