--[[ fenced-ack: acknowledges many deliveries; each only if this consumer still holds that delivery.
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash  KEYS[4] competing groups set
  KEYS[5] fan-out marker
  ARGV[1] group  ARGV[2] consumer  then pairs: entry id, delivery count seen at lease time
  returns one code per pair, in order: 1 acked | -1 LEASE_LOST (nothing changed for that entry)
  An acked entry is XACKed, its lease extension dropped, and the entry deleted when no group needs
  it (lib-retire). ]]
-- @include lib-held
-- @include lib-retire

local group, consumer = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV, 2 do
  local id, count = ARGV[i], tonumber(ARGV[i + 1])
  if is_held(KEYS[1], KEYS[2], group, consumer, id, count) then
    redis.call('XACK', KEYS[1], group, id)
    redis.call('HDEL', KEYS[3], group .. '\n' .. id)
    retire(KEYS[1], KEYS[4], KEYS[5], group, id)
    out[#out + 1] = 1
  else
    out[#out + 1] = -1
  end
end
return out
