--[[ enqueue: appends a batch of messages to a queue's stream, idempotently per message.
  KEYS[1] stream {prefix}:{queue}
  KEYS[2] fan-out marker ...:fanout (exists once a fan-out consumer opened the queue)
  KEYS[3] scheduled set ...:scheduled (delayed enqueues not yet read; member id, score due ms)
  KEYS[4..] idempotency keys ...:idem:<key>, one per message that has a key
  ARGV[1] message count n   ARGV[2] dedup window ms
  ARGV[3] fan-out retention max length   ARGV[4] fan-out retention max age ms
  ARGV[5] 'full': then 4 per message: idempotency KEYS index (0 = none), payload bytes, headers
          JSON ('' = none), delay ms (0 = none)
          'plain': then one payload per message (no keys, headers or delays: the hot path)
  Entry fields: p payload, h headers JSON (omitted when empty), d due ms (delayed enqueues only).
  returns the n ids, in order (for a key seen inside the window: the first id; nothing stored)
  On a fan-out queue the stream is trimmed afterwards: MAXLEN ~ max length, MINID ~ now - max age.
  A competing queue is never trimmed. ]]
-- @include lib-held

local n = tonumber(ARGV[1])
local window = ARGV[2]
local ids = {}
local now = nil
if ARGV[5] == 'plain' then
  for i = 6, 5 + n do ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'p', ARGV[i]) end
  n = 0
end
for i = 0, n - 1 do
  local base = 6 + i * 4
  local key_index = tonumber(ARGV[base])
  local payload, headers, delay = ARGV[base + 1], ARGV[base + 2], tonumber(ARGV[base + 3])
  local existing = false
  if key_index > 0 then existing = redis.call('GET', KEYS[key_index]) end
  if existing then
    ids[#ids + 1] = existing
  else
    local fields = { 'p', payload }
    if headers ~= '' then fields[#fields + 1] = 'h'; fields[#fields + 1] = headers end
    local due = nil
    if delay > 0 then
      now = now or server_ms()
      due = now + delay
      fields[#fields + 1] = 'd'; fields[#fields + 1] = tostring(due)
    end
    local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
    if due then redis.call('ZADD', KEYS[3], due, id) end
    if key_index > 0 then redis.call('SET', KEYS[key_index], id, 'PX', window) end
    ids[#ids + 1] = id
  end
end

if redis.call('EXISTS', KEYS[2]) == 1 then
  now = now or server_ms()
  redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[3])
  redis.call('XTRIM', KEYS[1], 'MINID', '~', tostring(math.max(0, now - tonumber(ARGV[4]))))
end
return ids
