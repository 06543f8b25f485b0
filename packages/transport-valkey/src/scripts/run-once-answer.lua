--[[ run-once-answer: stores a run's RESPONSE for replay, replacing any claim; the first answer wins.
  KEYS[1] the id's run-once key
  ARGV[1] RESPONSE bytes  ARGV[2] ttl ms
  returns 1 stored | 0 an answer was already stored (nothing changed) ]]
local record = redis.call('GET', KEYS[1])
if record and string.sub(record, 1, 1) == 'a' then return 0 end
redis.call('SET', KEYS[1], 'a' .. ARGV[1], 'PX', ARGV[2])
return 1
