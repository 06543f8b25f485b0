--[[ park-scheduled: a consumer read delayed enqueues (entries with a due time); parks them in the
  delayed set until due instead of handing them out. They stay pending for this group; reclaim
  claims them when due. That claim is their first counted delivery (their attempt base is -1).
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] scheduled set
  ARGV[1] group  then pairs: entry id, due ms
  returns the number parked ]]
local group = ARGV[1]
local n = 0
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], tonumber(ARGV[i + 1]), group .. '\n' .. ARGV[i])
  redis.call('ZREM', KEYS[3], ARGV[i])
  n = n + 1
end
return n
