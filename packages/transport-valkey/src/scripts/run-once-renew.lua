--[[ run-once-renew: extends one owner's claim on a REQUEST id.
  KEYS[1] the id's run-once key
  ARGV[1] owner  ARGV[2] claim ms
  returns 1 renewed (expiry now claim ms) | 0 not this owner's claim: expired, answered or another's (nothing changed) ]]
if redis.call('GET', KEYS[1]) ~= 'c' .. ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
