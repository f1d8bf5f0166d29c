-- read_agents.lua: bounded snapshot of a queue's candidate agents, read-only.
-- KEYS[1] P..'queue:'..q..':ready'
-- ARGV[1] P, ARGV[2] limit, ARGV[3] the tenant's agent change number (P..'agents:cv')
-- that the caller's previous read returned, '' for none: agents changed after it are
-- sent whole, the others by id and change number alone.
-- Touches (dynamic): P..'agents:cv', P..'agents:cvs', P..'agent:'..id of the agents sent
-- whole.
-- Returns {agent change number now, {id, cv, id, cv, ...}, hash, hash, ...}: the agents
-- with an indexed presence and room, most free units first (ties by id, descending, as
-- ZREVRANGE orders), then the full hash (snapshot + live fields) of each agent whose
-- cv is '' (unknown: not in P..'agents:cvs', written by a version without it) or later
-- than ARGV[3], or of every agent when ARGV[3] is '' or later than the number now (the
-- counter went back: data lost), in list order. The caller keeps the agents it decoded:
-- one sent by id was not changed since the caller's previous read, and comparing a
-- single number here is far cheaper than comparing every agent's (the parsing and the
-- reply of that cost most of this script).
local P = ARGV[1]
local since = nil
if ARGV[3] ~= '' then
  since = tonumber(ARGV[3])
  if not since then
    return redis.error_reply('read_agents: ARGV[3] ' .. ARGV[3] ..
      ': must be a change number or empty')
  end
end
local now = tonumber(redis.call('GET', P .. 'agents:cv') or '0')
if since and since > now then since = nil end
local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local list = {}
local out = {now, list}
local cvs = {}
for first = 1, #ids, 1000 do  -- unpack is bounded by Lua's stack (8,000 values)
  local chunk = redis.call('HMGET', P .. 'agents:cvs', unpack(ids, first,
    math.min(first + 999, #ids)))
  for k = 1, #chunk do cvs[first + k - 1] = chunk[k] end
end
for n, a in ipairs(ids) do
  local cv = cvs[n] or ''
  list[2 * n - 1] = a
  list[2 * n] = cv
  if cv == '' or not since or tonumber(cv) > since then
    out[#out + 1] = redis.call('HGETALL', P .. 'agent:' .. a)
  end
end
return out
