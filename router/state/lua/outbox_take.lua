-- outbox_take.lua: the next outputs to publish, for the holder of the tenant's relay lease.
-- One relay at a time publishes a tenant's outbox, in slot order, so output events reach
-- their topics in the order of the commits that made them, whichever worker committed.
-- KEYS[1] P..'outbox:lease' (relay owner id, expires), KEYS[2] P..'outbox:cursor',
-- KEYS[3] P..'outbox:seq' (last slot reserved), KEYS[4] P..'outbox:slots',
-- KEYS[5] P..'outbox:late'
-- ARGV[1] owner id, ARGV[2] lease (ms), ARGV[3] max slots; optionally the previous
-- batch to acknowledge first, as outbox_ack would (one round trip for both): ARGV[4] its
-- last slot, ARGV[5] its late payloads, ARGV[6] the cursor it was taken at.
-- Takes (or renews) the lease if free (or held by ARGV[1]); returns {-1} if the
-- acknowledgement was refused (lease or cursor moved; nothing taken), {0} when another
-- relay holds the lease, else {1, cursor, blocked, #late, pending, late..., payloads...}:
-- the payloads of the filled slots cursor+1, cursor+2 ... up to the first still reserved
-- one (`blocked`, 0 if none), the late payloads (publish those first), and `pending`, the
-- slots reserved after the cursor.
if ARGV[4] and acknowledge(KEYS[1], KEYS[2], KEYS[4], KEYS[5], ARGV[1], tonumber(ARGV[4]),
                           tonumber(ARGV[5]), tonumber(ARGV[6])) == 0 then
  return {-1}
end
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
elseif holder ~= ARGV[1] then
  return {0}
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local limit = tonumber(ARGV[3])
local cursor = tonumber(redis.call('GET', KEYS[2]) or '0')
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local late = {}
if limit > 0 then late = redis.call('LRANGE', KEYS[5], 0, limit - 1) end
local upto = math.min(last, cursor + limit)
local payloads, blocked = {}, 0
if upto > cursor then
  local fields = {}
  for n = cursor + 1, upto do fields[#fields + 1] = n end
  local values = redis.call('HMGET', KEYS[4], unpack(fields))
  for i, v in ipairs(values) do
    if v == false or v == '' then blocked = cursor + i break end
    payloads[#payloads + 1] = v
  end
end
local out = {1, cursor, blocked, #late, last - cursor}
for _, v in ipairs(late) do out[#out + 1] = v end
for _, v in ipairs(payloads) do out[#out + 1] = v end
return out
