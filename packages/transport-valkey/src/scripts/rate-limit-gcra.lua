--[[ rate-limit-gcra: one rate-limit decision (GCRA) with the server's clock, so every replica agrees.
  The key holds the theoretical arrival time (TAT, server ms, fractional): when the limit is next
  free of all burst. A request is allowed when TAT - now <= burst tolerance, and then pushes TAT
  one emission interval further; the key expires when TAT passes (its limit is whole again).
  KEYS[1] the limit's key
  ARGV[1] emission interval ms (1000 / requests per second)  ARGV[2] burst tolerance ms (interval * (burst - 1))
  returns 0 allowed (TAT moved) | ms until a request would be allowed, >= 1 (nothing changed) ]]
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local early = tat - tolerance - now
if early > 0 then return math.max(1, math.ceil(early)) end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX', math.max(1, math.ceil(next_tat - now)))
return 0
