--[[ trim-dead-letters: applies a dead-letter stream's retention and counts what it dropped.
  Oldest entries go first: beyond max length, and older than max age (by entry id time).
  KEYS[1] dead-letter stream  KEYS[2] dropped counter (a string integer, never expires)
  ARGV[1] max length (0: no limit)  ARGV[2] max age ms (0: no limit)
  returns {dropped by this call, dropped in total} ]]
local dropped = 0
local max_length, max_age = tonumber(ARGV[1]), tonumber(ARGV[2])
if max_length > 0 then dropped = dropped + redis.call('XTRIM', KEYS[1], 'MAXLEN', max_length) end
if max_age > 0 then
  local t = redis.call('TIME')
  local oldest_kept = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - max_age
  if oldest_kept > 0 then dropped = dropped + redis.call('XTRIM', KEYS[1], 'MINID', oldest_kept) end
end
if dropped > 0 then return {dropped, redis.call('INCRBY', KEYS[2], dropped)} end
return {0, tonumber(redis.call('GET', KEYS[2]) or '0')}
