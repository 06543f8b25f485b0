--[[ fenced-renew: extends a held lease to `lease ms` from now, without counting a delivery.
  Expiry is idle time >= the queue's lease ms (T), found by reclaim. XCLAIM ... JUSTID resets idle
  without raising the delivery count, so renew never raises attempt. A lease shorter than T starts
  with idle T - lease; a longer one with idle 0 plus an entry in the lease-extension hash holding
  its expiry, which reclaim honours.
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash
  ARGV[1] group  ARGV[2] consumer  ARGV[3] entry id  ARGV[4] delivery count  ARGV[5] lease ms
  ARGV[6] queue lease ms T
  returns the new expiry (server ms) | -1 LEASE_LOST (nothing changed) ]]
-- @include lib-held

local group, consumer, id = ARGV[1], ARGV[2], ARGV[3]
if not is_held(KEYS[1], KEYS[2], group, consumer, id, tonumber(ARGV[4])) then return -1 end
local lease, t = tonumber(ARGV[5]), tonumber(ARGV[6])
local now = server_ms()
local member = group .. '\n' .. id
if lease <= t then
  redis.call('XCLAIM', KEYS[1], group, consumer, 0, id, 'IDLE', t - lease, 'JUSTID')
  redis.call('HDEL', KEYS[3], member)
else
  redis.call('XCLAIM', KEYS[1], group, consumer, 0, id, 'IDLE', 0, 'JUSTID')
  redis.call('HSET', KEYS[3], member, now + lease)
end
return now + lease
