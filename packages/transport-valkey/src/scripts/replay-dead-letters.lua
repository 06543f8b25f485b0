--[[ replay-dead-letters: moves dead letters back to their source queue as new messages (attempts
  start again), keeping payload and headers and the original enqueue time (field t).
  KEYS[1] dead-letter stream  KEYS[2] source stream
  ARGV[1] 'ids' or 'all'  ARGV[2] max for 'all'  ARGV[3..] dead-letter ids for 'ids'
  returns the number moved (for 'all', a full batch means call again) ]]
local entries
if ARGV[1] == 'all' then
  entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[2]))
else
  entries = {}
  for i = 3, #ARGV do
    local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
    if #e > 0 then entries[#entries + 1] = e[1] end
  end
end
local n = 0
for _, e in ipairs(entries) do
  local src = e[2]
  local fields = {}
  for i = 1, #src, 2 do
    local k = src[i]
    if k == 'p' or k == 'h' or k == 't' then
      fields[#fields + 1] = k; fields[#fields + 1] = src[i + 1]
    end
  end
  redis.call('XADD', KEYS[2], '*', unpack(fields))
  redis.call('XDEL', KEYS[1], e[1])
  n = n + 1
end
return n
