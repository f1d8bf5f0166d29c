-- read_agents.lua: bounded snapshot of a queue's candidate agents, read-only.
-- KEYS[1] P..'queue:'..q..':ready'
-- ARGV[1] P, ARGV[2] limit
-- Touches (dynamic): P..'agent:'..id of the returned agents.
-- Returns the agents with an indexed presence and room, most free units first (ties by
-- id, descending, as ZREVRANGE orders), each as its full hash (snapshot + live fields).
local P = ARGV[1]
local out = {}
for _, a in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
  out[#out + 1] = redis.call('HGETALL', P .. 'agent:' .. a)
end
return out
