-- read_queue.lua: bounded snapshot of a queue's head (SPEC P7), read-only.
-- KEYS[1] P..'queue:'..q..':items'
-- ARGV[1] P, ARGV[2] limit, ARGV[3] offset (items to skip from the head, default 0)
-- Touches (dynamic): P..'item:'..id and P..'declines:'..id of the returned items.
-- Returns, best first, {member, snapshot, version, {agent, declines, ...}} per item:
-- one consistent view, O(log N + limit) however deep the queue.
local P = ARGV[1]
local out = {}
local offset = tonumber(ARGV[3] or '0')
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], offset, offset + tonumber(ARGV[2]) - 1)) do
  local id = string.sub(m, string.find(m, '.', 1, true) + 1)
  local f = redis.call('HMGET', P .. 'item:' .. id, 'snap', 'v')
  out[#out + 1] = {m, f[1], f[2], redis.call('HGETALL', P .. 'declines:' .. id)}
end
return out
