--[[ run-once-abandon: drops one owner's claim on a REQUEST id, so another instance may run it.
  KEYS[1] the id's run-once key
  ARGV[1] owner
  returns 1 dropped | 0 not this owner's claim: expired, answered or another's (nothing changed) ]]
if redis.call('GET', KEYS[1]) ~= 'c' .. ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
