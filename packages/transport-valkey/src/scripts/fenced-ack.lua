#!lua
--[[ fenced-ack: acknowledges many deliveries; each one that is still pending in the group.
  The work is done, so an ack is not fenced by consumer and delivery count (renew, release and
  dead-letter are): a stale ack of an entry another delivery holds now settles it, and that
  delivery's own settle then finds it gone (LEASE_LOST). Under at-least-once nothing is lost; the
  check costs an XPENDING per id, three times an XACK.
  KEYS[1] stream  KEYS[2] delayed set  KEYS[3] lease-extension hash  KEYS[4] competing groups set
  KEYS[5] fan-out marker
  ARGV[1] group  ARGV[2] consumer (unused)
  ARGV[3] 'pairs': then pairs of entry id, delivery count seen at lease time (the count is unused)
          'first': then entry ids
  returns one code per id, in order: 1 acked | -1 LEASE_LOST (not pending in the group: already
  acked, dead-lettered, or the group is gone; nothing changed for that entry)
  An acked entry leaves the delayed set if it was parked there, its lease extension is dropped,
  and the entry is deleted when no group needs it (lib-retire).
  The first line flags it a write script (no allow-oom): over maxmemory the server refuses it as it
  refuses an XADD, so an ack sent right behind a RESPONSE's XADD that was refused for memory is
  refused too (docs/messaging-transport.md, the instance's per-REQUEST steps). ]]
-- @include lib-held
-- @include lib-retire

local group = ARGV[1]
-- Per-call checks instead of per-id ones: most acks meet no released entries and no extensions.
local any_parked = redis.call('ZCARD', KEYS[2]) > 0
local any_extended = redis.call('HLEN', KEYS[3]) > 0
local out, acked = {}, {}
local step = ARGV[3] == 'first' and 1 or 2
for i = 4, #ARGV, step do
  local id = ARGV[i]
  -- XACK answers 0 for an id not pending in the group, and for a missing group or stream; an error (not an entry id) is a table.
  if redis.pcall('XACK', KEYS[1], group, id) == 1 then
    acked[#acked + 1] = id
    if any_parked then redis.call('ZREM', KEYS[2], group .. '\n' .. id) end
    if any_extended then redis.call('HDEL', KEYS[3], group .. '\n' .. id) end
    out[#out + 1] = 1
  else
    out[#out + 1] = -1
  end
end
if #acked > 0 then retire(KEYS[1], KEYS[4], KEYS[5], group, acked) end
return out
