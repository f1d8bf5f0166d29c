-- read_offered.lua: which items have a pending offer, and in which queue; read-only,
-- one chunk of the deadline index per call (the state collector's gauges).
-- KEYS[1] P..'offers:due'
-- ARGV[1] P, ARGV[2] first rank, ARGV[3] last rank (of KEYS[1], by deadline)
-- Touches (dynamic): P..'offer:'..id of the offers in the chunk.
-- Returns {offers in the chunk, queue, item, queue, item, ...} (an offer already gone
-- is counted but not listed).
local ids = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[3])
local out = {#ids}
for _, oid in ipairs(ids) do
  local f = redis.call('HMGET', ARGV[1] .. 'offer:' .. oid, 'queue', 'item')
  if f[1] and f[2] then out[#out + 1] = f[1] out[#out + 1] = f[2] end
end
return out
