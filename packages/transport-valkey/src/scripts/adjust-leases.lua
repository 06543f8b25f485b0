--[[ adjust-leases: gives just-read deliveries a lease other than the queue's lease ms T, without
  counting a delivery: shorter → idle T - lease; longer → a lease-extension entry with the expiry.
  KEYS[1] stream  KEYS[2] lease-extension hash
  ARGV[1] group  ARGV[2] consumer  ARGV[3] queue lease ms T  ARGV[4] lease ms  ARGV[5..] entry ids
  returns the number of ids adjusted ]]
-- @include lib-held

local group, consumer = ARGV[1], ARGV[2]
local t, lease = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = server_ms()
local n = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  if lease < t then
    redis.call('XCLAIM', KEYS[1], group, consumer, 0, id, 'IDLE', t - lease, 'JUSTID')
  else
    redis.call('HSET', KEYS[2], group .. '\n' .. id, now + lease)
  end
  n = n + 1
end
return n
