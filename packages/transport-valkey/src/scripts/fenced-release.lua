--[[ fenced-release: gives a held delivery back, for redelivery now or after a delay. The entry
  stays pending (its id and delivery count are kept) and is parked in the delayed set scored by its
  due time; any consumer of the group claims it when due, which counts the next delivery.
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash
  ARGV[1] group  ARGV[2] consumer  ARGV[3] entry id  ARGV[4] delivery count  ARGV[5] delay ms
  returns the due time (server ms) | -1 LEASE_LOST (nothing changed) ]]
-- @include lib-held

local group, consumer, id = ARGV[1], ARGV[2], ARGV[3]
if not is_held(KEYS[1], KEYS[2], group, consumer, id, tonumber(ARGV[4])) then return -1 end
local due = server_ms() + tonumber(ARGV[5])
redis.call('ZADD', KEYS[2], due, group .. '\n' .. id)
redis.call('HDEL', KEYS[3], group .. '\n' .. id)
return due
