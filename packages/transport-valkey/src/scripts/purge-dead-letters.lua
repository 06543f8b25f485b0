--[[ purge-dead-letters: deletes dead letters.
  KEYS[1] dead-letter stream
  ARGV[1] 'ids' or 'all'  ARGV[2..] ids for 'ids'
  returns the number deleted ]]
if ARGV[1] == 'all' then
  local n = redis.call('XLEN', KEYS[1])
  redis.call('DEL', KEYS[1])
  return n
end
local n = 0
for i = 2, #ARGV do n = n + redis.call('XDEL', KEYS[1], ARGV[i]) end
return n
