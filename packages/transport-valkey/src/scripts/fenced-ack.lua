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
  When the queue has one competing group and no fan-out, the whole batch is one XACK: there an
  entry no longer pending was deleted when it was settled (lib-retire), so in the rare batch that
  XACK does not count whole, an entry still in the stream is one this call acked. Otherwise (or
  when the batch XACK fails, or names over 1000 ids) one XACK per id, which answers for each id
  by itself.
  The first line flags it a write script (no allow-oom): over maxmemory the server refuses it as it
  refuses an XADD, so an ack sent right behind a RESPONSE's XADD that was refused for memory is
  refused too (docs/messaging-transport.md, the instance's per-REQUEST steps). ]]
-- @include lib-held
-- @include lib-retire

local group = ARGV[1]
local ids = {}
for i = 4, #ARGV, ARGV[3] == 'first' and 1 or 2 do ids[#ids + 1] = ARGV[i] end
local fanout = redis.call('EXISTS', KEYS[5]) == 1
local sole_group = not fanout and redis.call('SCARD', KEYS[4]) <= 1

-- One XACK for the batch: the count it acked, or nil when it failed (not a stream, a bad id:
-- XACK checks every id before it acks any) or the batch is too long for one call (Lua's unpack).
local function ack_batch()
  if #ids > 1000 then return nil end
  local n = redis.pcall('XACK', KEYS[1], group, unpack(ids))
  if type(n) ~= 'number' then return nil end
  return n
end

local out, acked = {}, {}
-- Answers each id: 1 (and listed as acked) when `acked_now(id)`, else -1.
local function answer_each(acked_now)
  for i, id in ipairs(ids) do
    if acked_now(id) then
      acked[#acked + 1] = id
      out[i] = 1
    else
      out[i] = -1
    end
  end
end

local n = sole_group and ack_batch() or nil
if n == #ids then
  answer_each(function() return true end)
elseif n ~= nil then
  -- A batch short of whole, or naming an id twice: this call acked exactly the entries still
  -- in the stream, each once.
  local seen = {}
  answer_each(function(id)
    if n == 0 or seen[id] or #redis.call('XRANGE', KEYS[1], id, id) == 0 then return false end
    seen[id] = true
    return true
  end)
else
  -- XACK answers 0 for an id not pending in the group, and for a missing group or stream; an error (not an entry id) is a table.
  answer_each(function(id) return redis.pcall('XACK', KEYS[1], group, id) == 1 end)
end
if #acked == 0 then return out end
-- Per-call checks instead of per-id ones: most acks meet no released entries and no extensions.
if redis.call('ZCARD', KEYS[2]) > 0 then
  for _, id in ipairs(acked) do redis.call('ZREM', KEYS[2], group .. '\n' .. id) end
end
if redis.call('HLEN', KEYS[3]) > 0 then
  for _, id in ipairs(acked) do redis.call('HDEL', KEYS[3], group .. '\n' .. id) end
end
-- A fan-out queue keeps acked entries for its other subscribers (retention trims them).
if sole_group then
  in_chunks(acked, function(...) redis.call('XDEL', KEYS[1], ...) end)
elseif not fanout then
  retire(KEYS[1], KEYS[4], KEYS[5], group, acked)
end
return out
