--[[ stats: one consistent snapshot of a queue's counters.
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] scheduled set  KEYS[4] dead-letter stream
  KEYS[5] competing groups set  KEYS[6] fan-out marker
  returns { depth, in-flight, delayed, dead letters }
  Competing: depth = entries never delivered or due again; in-flight = pending and not parked;
  delayed = parked releases and delayed enqueues not yet due. Fan-out: depth is the largest lag of
  any subscriber group. ]]
-- @include lib-held

local now = server_ms()
local xlen = redis.call('XLEN', KEYS[1])
local fanout = redis.call('EXISTS', KEYS[6]) == 1
local pending, max_lag = 0, 0
if xlen > 0 or redis.call('EXISTS', KEYS[1]) == 1 then
  for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local name, p, lag
    for i = 1, #info, 2 do
      if info[i] == 'name' then name = info[i + 1]
      elseif info[i] == 'pending' then p = info[i + 1]
      elseif info[i] == 'lag' then lag = info[i + 1] end
    end
    if fanout or redis.call('SISMEMBER', KEYS[5], name) == 1 then
      pending = pending + p
      if type(lag) == 'number' and lag > max_lag then max_lag = lag end
    end
  end
end
local parked = redis.call('ZCARD', KEYS[2])
local parked_due = redis.call('ZCOUNT', KEYS[2], '-inf', now)
local scheduled_later = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
local delayed = (parked - parked_due) + scheduled_later
local in_flight = math.max(0, pending - parked)
local depth
if fanout then
  depth = max_lag + parked_due
else
  depth = math.max(0, xlen - pending + parked_due - scheduled_later)
end
return { depth, in_flight, delayed, redis.call('XLEN', KEYS[4]) }
