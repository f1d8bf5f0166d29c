-- outbox_ack.lua: the relay published (and the broker acknowledged) slots up to ARGV[2]
-- and the first ARGV[3] late payloads: drop them and move the cursor.
-- KEYS[1] P..'outbox:lease', KEYS[2] P..'outbox:cursor', KEYS[3] P..'outbox:slots',
-- KEYS[4] P..'outbox:late'
-- ARGV[1] owner id, ARGV[2] last slot published, ARGV[3] late payloads published,
-- ARGV[4] the cursor the batch was taken at, ARGV[5] '1' to give up the lease
-- Returns 1, or 0 (nothing changed) if the lease or the cursor moved meanwhile: another
-- relay took over and republishes from the cursor (duplicates, same ids, same order).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local cursor = tonumber(redis.call('GET', KEYS[2]) or '0')
if cursor ~= tonumber(ARGV[4]) then return 0 end
local upto = tonumber(ARGV[2])
if upto > cursor then
  local fields = {}
  for n = cursor + 1, upto do fields[#fields + 1] = n end
  redis.call('HDEL', KEYS[3], unpack(fields))
  redis.call('SET', KEYS[2], upto)
end
local late = tonumber(ARGV[3])
if late > 0 then redis.call('LTRIM', KEYS[4], late, -1) end
if ARGV[5] == '1' then redis.call('DEL', KEYS[1]) end
return 1
