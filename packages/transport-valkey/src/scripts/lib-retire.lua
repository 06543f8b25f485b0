--[[ lib-retire (included): after an XACK, deletes the entry once no consumer group can still need
  it. Never on a fan-out queue (its stream is trimmed by retention). At once when the queue has one
  competing group. Otherwise only when every other registered group has read past the entry and no
  longer has it pending. ]]
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

local function retire(stream, groups, fanout, group, id)
  if redis.call('EXISTS', fanout) == 1 then return end
  if redis.call('SCARD', groups) > 1 then
    for _, g in ipairs(redis.call('SMEMBERS', groups)) do
      if g ~= group then
        local last = last_delivered(stream, g)
        if last ~= nil then
          if id_less(last, id) then return end
          if #redis.call('XPENDING', stream, g, id, id, 1) > 0 then return end
        end
      end
    end
  end
  redis.call('XDEL', stream, id)
end
