--[[ recover-own: claims back entries pending for the caller whose read reply never reached it
  (its connection was cut mid-read). An id is claimed only while it is still pending for the
  caller with the delivery count the caller saw and is not parked in the delayed set, so a
  delivery another consumer claimed meanwhile, or one the caller released, is left alone. The
  claim counts a delivery (attempt + 1) and gives the lease `lease` ms.
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash
  ARGV[1] group  ARGV[2] consumer  ARGV[3] queue lease ms T  ARGV[4] lease ms  ARGV[5..] id, count pairs
  returns { { id, fields, count }, ... } ]]
-- @include lib-held

local stream, delayed, ext = KEYS[1], KEYS[2], KEYS[3]
local group, consumer = ARGV[1], ARGV[2]
local t, lease = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = server_ms()
local out = {}
for i = 5, #ARGV - 1, 2 do
  local id, count = ARGV[i], tonumber(ARGV[i + 1])
  local member = group .. '\n' .. id
  local p = redis.call('XPENDING', stream, group, id, id, 1)
  if #p > 0 and p[1][2] == consumer and p[1][4] == count and not redis.call('ZSCORE', delayed, member) then
    local got = redis.call('XCLAIM', stream, group, consumer, 0, id)
    if #got > 0 and got[1] and got[1][2] then
      redis.call('HDEL', ext, member)
      if lease < t then
        redis.call('XCLAIM', stream, group, consumer, 0, id, 'IDLE', t - lease, 'JUSTID')
      elseif lease > t then
        redis.call('HSET', ext, member, now + lease)
      end
      out[#out + 1] = { got[1][1], got[1][2], count + 1 }
    end
  end
end
return out
