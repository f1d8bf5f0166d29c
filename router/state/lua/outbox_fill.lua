-- outbox_fill.lua: fill an outbox slot a commit reserved with the outputs built from its
-- outcome. Idempotent: a redelivered event fills the same slot with the same outputs.
-- KEYS[1] P..'outbox:slots' (hash slot -> JSON array of encoded events, '' = reserved)
-- KEYS[2] P..'outbox:cursor' (last slot published)
-- KEYS[3] P..'outbox:skipped' (set of slots the relay gave up waiting for)
-- KEYS[4] P..'outbox:late' (list of payloads filled after their slot was skipped)
-- ARGV[1] slot, ARGV[2] payload (JSON array of encoded events), ARGV[3] the channel that
-- wakes the relay (P..'outbox:wake'), told of every fill
-- Returns 1 filled, 2 queued as late (published out of order rather than lost), 0 no-op
-- (already filled, or already published).
local n = tonumber(ARGV[1])
local cursor = tonumber(redis.call('GET', KEYS[2]) or '0')
if n > cursor then
  if redis.call('HGET', KEYS[1], ARGV[1]) == '' then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    redis.call('PUBLISH', ARGV[3], '')
    return 1
  end
  return 0
end
if redis.call('SREM', KEYS[3], ARGV[1]) == 1 then
  if ARGV[2] ~= '[]' then
    redis.call('RPUSH', KEYS[4], ARGV[2])
    redis.call('PUBLISH', ARGV[3], '')
  end
  return 2
end
return 0
