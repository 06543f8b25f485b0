--[[ beat: records a sign of life of an owner at the server's time.
  KEYS[1] signs-of-life sorted set (member owner, score ms)
  ARGV[1] owner
  returns the server time ms ]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
return now
