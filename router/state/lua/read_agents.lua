-- read_agents.lua: bounded snapshot of a queue's candidate agents, read-only.
-- KEYS[1] P..'queue:'..q..':ready'
-- ARGV[1] P, ARGV[2] limit, ARGV[3] the agents the caller already holds decoded: id and
-- change number `cv` alternating, joined by \031 (one argument: cheaper to send than
-- two per agent)
-- Touches (dynamic): P..'agent:'..id of the returned agents.
-- Returns the agents with an indexed presence and room, most free units first (ties by
-- id, descending, as ZREVRANGE orders): {id} when the caller's copy is still exact (same
-- `cv`), else {id, cv or '', full hash (snapshot + live fields)}. Decoding an agent costs
-- the caller far more than this script does, and between two reads few agents change.
local P = ARGV[1]
local known = {}
local held = ARGV[3] or ''
local start = 1
while start <= #held do
  local i = string.find(held, '\031', start, true)
  local j = string.find(held, '\031', i + 1, true) or (#held + 1)
  known[string.sub(held, start, i - 1)] = string.sub(held, i + 1, j - 1)
  start = j + 1
end
local out = {}
for _, a in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
  local ak = P .. 'agent:' .. a
  local cv = redis.call('HGET', ak, 'cv')
  if cv and known[a] == cv then
    out[#out + 1] = {a}
  else
    out[#out + 1] = {a, cv or '', redis.call('HGETALL', ak)}
  end
end
return out
