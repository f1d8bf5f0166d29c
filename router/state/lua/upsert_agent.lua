-- upsert_agent.lua: an agent registered or changed presence, capacity, queues or profiles.
-- KEYS[1] seen, KEYS[2] results, KEYS[3] P..'agent:'..id, KEYS[4] P..'agentoffers:'..id
-- ARGV[9] agent id, ARGV[10] snapshot (msgpack AgentState), ARGV[11] base presence,
-- ARGV[12] '1' when the base presence is indexed, ARGV[13] total units,
-- ARGV[14] queues (joined by \031), ARGV[15] profile names, ARGV[16] their limits,
-- ARGV[17] '1' to revoke pending offers (base presence offline)
-- Touches (dynamic): P..'agents' (the agent's id added), ready indexes
-- P..'queue:'..q..':ready' of old and new queues; on revocation the offers, their items,
-- queues (offered items too) and P..'offers:due'.
-- Guarantees: used capacity (uu, pu:*) and last assignment/release times are the store's
-- and are kept; the agent is in exactly the ready indexes of its queues where it has an
-- indexed presence and room; going offline revokes every pending offer (release, requeue).
local dup = seen() if dup then return dup end
local ak, aid = KEYS[3], ARGV[9]
local code = 'updated'
if redis.call('EXISTS', ak) == 0 then code = 'registered' end
-- The tenant's agent list (read by statistics): every change adds the agent, so agents
-- from before the list existed join it too; a tenant's first agent ever also marks the
-- list complete (state_reads.py otherwise completes it once with a SCAN).
if redis.call('EXISTS', k_agents_cv()) == 0 then redis.call('SET', k_agents_listed(), '1') end
redis.call('SADD', k_agents(), aid)
local newq = {}
for _, q in ipairs(split(ARGV[14])) do newq[q] = true end
for _, q in ipairs(split(redis.call('HGET', ak, 'qs'))) do
  if not newq[q] then redis.call('ZREM', k_queue_ready(q), aid) end
end
for _, p in ipairs(split(redis.call('HGET', ak, 'pls'))) do
  redis.call('HDEL', ak, 'pl:' .. p)
end
redis.call('HSET', ak, 'snap', ARGV[10], 'bp', ARGV[11], 'ix', ARGV[12], 'tu', ARGV[13],
  'qs', ARGV[14], 'pls', ARGV[15])
local limits = split(ARGV[16])
for i, p in ipairs(split(ARGV[15])) do redis.call('HSET', ak, 'pl:' .. p, limits[i]) end
local v = redis.call('HINCRBY', ak, 'v', 1)
local revoked = {}
if ARGV[17] == '1' then
  revoked = redis.call('ZRANGE', KEYS[4], 0, -1)
  for _, oid in ipairs(revoked) do
    local iid = close_offer(oid, 'revoked')
    requeue(k_item(iid), 'queued')
  end
end
reindex(aid)
local res = {ok = true, code = code, agent_id = aid, version = v}
if #revoked > 0 then res.revoked = revoked end
return finish(res, true)
