--[[ lib-retire (included): after an XACK, deletes the entry once no consumer group can still need
  it. Never on a fan-out queue (its stream is trimmed by retention). At once when the queue has one
  competing group. Otherwise only when every other registered group has read past the entry and no
  longer has it pending. Needs lib-held (in_chunks) included before it. ]]
local function id_less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end

local group_positions = nil
local function last_delivered(stream, g)
  if group_positions == nil then
    group_positions = {}
    for _, info in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
      local name, last
      for i = 1, #info, 2 do
        if info[i] == 'name' then name = info[i + 1] elseif info[i] == 'last-delivered-id' then last = info[i + 1] end
      end
      group_positions[name] = last
    end
  end
  return group_positions[g]
end

-- The ids among `ids` (already XACKed by `group`) that no group still needs; deletes them with one XDEL.
local function retire(stream, groups, fanout, group, ids)
  if #ids == 0 or redis.call('EXISTS', fanout) == 1 then return end
  local done = ids
  if redis.call('SCARD', groups) > 1 then
    local others = {}
    for _, g in ipairs(redis.call('SMEMBERS', groups)) do
      if g ~= group then others[#others + 1] = g end
    end
    done = {}
    for _, id in ipairs(ids) do
      local needed = false
      for _, g in ipairs(others) do
        local last = last_delivered(stream, g)
        if last ~= nil and (id_less(last, id) or #redis.call('XPENDING', stream, g, id, id, 1) > 0) then
          needed = true
          break
        end
      end
      if not needed then done[#done + 1] = id end
    end
  end
  in_chunks(done, function(...) redis.call('XDEL', stream, ...) end)
end
