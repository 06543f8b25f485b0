--[[ fenced-ack: acknowledges many deliveries; each only if this consumer still holds that delivery.
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash  KEYS[4] competing groups set
  KEYS[5] fan-out marker
  ARGV[1] group  ARGV[2] consumer
  ARGV[3] 'pairs': then pairs of entry id, delivery count seen at lease time
          'first': then entry ids, each leased on its first delivery (count 1: the hot path)
  returns one code per id, in order: 1 acked | -1 LEASE_LOST (nothing changed for that entry)
  An acked entry is XACKed, its lease extension dropped, and the entry deleted when no group needs
  it (lib-retire). ]]
-- @include lib-held
-- @include lib-retire

local group, consumer = ARGV[1], ARGV[2]
-- Per-call checks instead of per-id ones: most acks meet no released entries and no extensions.
local any_parked = redis.call('ZCARD', KEYS[2]) > 0
local any_extended = redis.call('HLEN', KEYS[3]) > 0
local out, acked = {}, {}
local first = ARGV[3] == 'first'
local step = first and 1 or 2
for i = 4, #ARGV, step do
  local id = ARGV[i]
  local count = first and 1 or tonumber(ARGV[i + 1])
  if is_held(KEYS[1], KEYS[2], group, consumer, id, count, not any_parked) then
    acked[#acked + 1] = id
    if any_extended then redis.call('HDEL', KEYS[3], group .. '\n' .. id) end
    out[#out + 1] = 1
  else
    out[#out + 1] = -1
  end
end
if #acked > 0 then
  in_chunks(acked, function(...) redis.call('XACK', KEYS[1], group, ...) end)
  retire(KEYS[1], KEYS[4], KEYS[5], group, acked)
end
return out
