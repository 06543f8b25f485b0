--[[ fenced-dead-letter: moves a held delivery to the dead-letter stream, atomically.
  KEYS[1] stream  KEYS[2] dead-letter stream  KEYS[3] delayed set  KEYS[4] lease-extension hash
  KEYS[5] competing groups set  KEYS[6] fan-out marker
  ARGV[1] group  ARGV[2] consumer  ARGV[3] entry id  ARGV[4] delivery count  ARGV[5] reason
  ARGV[6] source queue name  ARGV[7] attempts  ARGV[8] enqueuedAt ms
  ARGV[9] (optional) payload to store instead of the entry's (a redacted copy)
  Dead-letter fields: p payload, h headers (when present), q source queue, o original id,
  n attempts, r reason, t enqueuedAt ms. deadLetteredAt is the dead-letter entry id's time.
  returns the dead-letter id | -1 LEASE_LOST (nothing changed) ]]
-- @include lib-held
-- @include lib-retire

local group, consumer, id = ARGV[1], ARGV[2], ARGV[3]
if not is_held(KEYS[1], KEYS[3], group, consumer, id, tonumber(ARGV[4])) then return -1 end
local entry = redis.call('XRANGE', KEYS[1], id, id)
if #entry == 0 then
  -- Trimmed or deleted under us: a dangling pending id. Ack it away, or reclaim would return it forever.
  redis.call('XACK', KEYS[1], group, id)
  return -1
end
local fields = { 'q', ARGV[6], 'o', id, 'n', ARGV[7], 'r', ARGV[5], 't', ARGV[8] }
local source = entry[1][2]
for i = 1, #source, 2 do
  if source[i] == 'h' or (source[i] == 'p' and ARGV[9] == nil) then
    fields[#fields + 1] = source[i]; fields[#fields + 1] = source[i + 1]
  end
end
if ARGV[9] ~= nil then
  fields[#fields + 1] = 'p'; fields[#fields + 1] = ARGV[9]
end
local dead_id = redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XACK', KEYS[1], group, id)
redis.call('HDEL', KEYS[4], group .. '\n' .. id)
retire(KEYS[1], KEYS[5], KEYS[6], group, { id })
return dead_id
