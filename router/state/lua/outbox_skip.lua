-- outbox_skip.lua: give up waiting for a reserved slot (its commit's worker failed and the
-- event was not redelivered in time), so one lost fill cannot stall a tenant's outputs.
-- If the fill comes later it is published then, out of order (outbox_fill.lua).
-- KEYS[1] P..'outbox:lease', KEYS[2] P..'outbox:cursor', KEYS[3] P..'outbox:slots',
-- KEYS[4] P..'outbox:skipped'
-- ARGV[1] owner id, ARGV[2] the slot (must be cursor + 1 and still reserved)
-- Returns 1 skipped, 0 not (lease lost, cursor moved, or filled meanwhile).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local cursor = tonumber(redis.call('GET', KEYS[2]) or '0')
local n = tonumber(ARGV[2])
if n ~= cursor + 1 then return 0 end
local v = redis.call('HGET', KEYS[3], ARGV[2])
if v ~= false and v ~= '' then return 0 end
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('SET', KEYS[2], n)
return 1
