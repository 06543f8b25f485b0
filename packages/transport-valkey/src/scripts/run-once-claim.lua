--[[ run-once-claim: claims a REQUEST id for one owner, unless another owner holds it or a run answered it.
  The record is one string: 'c' .. owner while claimed, 'a' .. RESPONSE bytes once answered.
  KEYS[1] the id's run-once key
  ARGV[1] owner  ARGV[2] claim ms
  returns {1} claimed (the key was free or expired, or already this owner's: its expiry is now claim ms)
        | {2} held by another owner (nothing changed)
        | {3, response bytes} answered (nothing changed) ]]
local record = redis.call('GET', KEYS[1])
if not record then
  redis.call('SET', KEYS[1], 'c' .. ARGV[1], 'PX', ARGV[2])
  return {1}
end
if string.sub(record, 1, 1) == 'a' then return {3, string.sub(record, 2)} end
if record == 'c' .. ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
return {2}
