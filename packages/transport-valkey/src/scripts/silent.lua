--[[ silent: the owners whose last sign of life is older than a threshold, by the server's time.
  KEYS[1] signs-of-life sorted set (member owner, score ms)
  ARGV[1] threshold ms
  returns { owner, silent ms, owner, silent ms, ... } ]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[1])), 'WITHSCORES')
local out = {}
for i = 1, #rows, 2 do
  out[#out + 1] = rows[i]
  out[#out + 1] = now - tonumber(rows[i + 1])
end
return out
