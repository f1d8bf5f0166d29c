-- outbox_ack.lua: the relay published (and the broker acknowledged) slots up to ARGV[2]
-- and the first ARGV[3] late payloads: drop them and move the cursor (`acknowledge` in
-- _outbox.lua).
-- KEYS[1] P..'outbox:lease', KEYS[2] P..'outbox:cursor', KEYS[3] P..'outbox:slots',
-- KEYS[4] P..'outbox:late'
-- ARGV[1] owner id, ARGV[2] last slot published, ARGV[3] late payloads published,
-- ARGV[4] the cursor the batch was taken at, ARGV[5] '1' to give up the lease
-- Returns 1, or 0 (nothing changed) if the lease or the cursor moved meanwhile.
local done = acknowledge(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], tonumber(ARGV[2]),
                         tonumber(ARGV[3]), tonumber(ARGV[4]))
if done == 1 and ARGV[5] == '1' then redis.call('DEL', KEYS[1]) end
return done
