-- resolve_offer.lua: an agent answered an offer, or it timed out, or it was withdrawn.
-- KEYS[1] seen, KEYS[2] results, KEYS[3] P..'offer:'..offer
-- ARGV[9] action: accept | decline | expire | revoke, ARGV[10] offer id,
-- ARGV[11] decline limit (O2), ARGV[12] distinct decliners that exclude the item
-- Touches (dynamic): the offer's item, agent, P..'agentoffers:'..agent, P..'offers:due',
-- P..'declines:'..item, the queue's items / manual zset and offered items (of the
-- offer's queue) and the agent's ready indexes.
-- Guarantees: only a pending offer changes. accept: offer -> assignment, capacity stays.
-- decline / expire (expire only once the deadline has passed, else 'not_due', not
-- recorded): capacity released, decline counted for (item, agent), item requeued at its
-- place, or moved to the manual list when max distinct decliners is reached.
-- revoke: capacity released, item requeued, no decline counted.
local dup = seen() if dup then return dup end
local ok, action, oid = KEYS[3], ARGV[9], ARGV[10]
local o = redis.call('HMGET', ok, 'st', 'item', 'agent', 'dl', 'queue')
if not o[1] then return finish({ok = false, code = 'unknown_offer', offer_id = oid}, true) end
local res = {ok = true, code = action, offer_id = oid, item_id = o[2], agent_id = o[3]}
if o[1] ~= 'pending' then
  res.ok = false res.code = 'offer_' .. o[1]
  return finish(res, true)
end
if action == 'expire' and tonumber(o[4]) > tonumber(NOW) then
  res.ok = false res.code = 'not_due'
  return finish(res, false)
end
local ik = k_item(o[2])
if action == 'accept' then
  redis.call('HSET', ok, 'st', 'accepted')
  redis.call('ZREM', k_offers_due(), oid)
  unoffer(o[5], o[2])
  redis.call('ZREM', k_agent_offers(o[3]), oid)
  redis.call('HSET', ik, 'st', 'assigned')
  res.version = redis.call('HINCRBY', ik, 'v', 1)
  return finish(res, true)
end
local ost = 'declined'
if action == 'expire' then ost = 'expired' elseif action == 'revoke' then ost = 'revoked' end
close_offer(oid, ost)
res.released = true
local state = 'queued'
if action ~= 'revoke' then
  local dk = k_declines(o[2])
  res.declines = redis.call('HINCRBY', dk, o[3], 1)
  res.distinct_decliners = redis.call('HLEN', dk)
  res.agent_excluded = res.declines >= tonumber(ARGV[11])
  if res.distinct_decliners >= tonumber(ARGV[12]) then
    res.item_excluded = true
    state = 'manual'
  end
end
res.version = requeue(ik, state)
return finish(res, true)
