-- commit_offer.lua: commit one routing decision atomically (DESIGN invariants 1 and 2).
-- KEYS[1] seen, KEYS[2] results, KEYS[3] P..'item:'..item, KEYS[4] P..'agent:'..agent,
-- KEYS[5] P..'offer:'..offer, KEYS[6] P..'offers:due', KEYS[7] P..'agentoffers:'..agent
-- ARGV[9] item id, ARGV[10] agent id, ARGV[11] offer id, ARGV[12] queue,
-- ARGV[13] item version the decision saw, ARGV[14] units, ARGV[15] profiles (\031),
-- ARGV[16] default limit of each profile (\031), ARGV[17] allowed base presences (\031),
-- ARGV[18] offer deadline ('' = direct assignment), ARGV[19] '1' = manual pick (O3: the
-- item may be in the manual list; queue membership and presence are not required)
-- Touches (dynamic): P..'queue:'..q..':items' and the agent's ready indexes.
-- Re-checks, in order, returning a 'conflict:<what>' outcome (nothing changed, nothing
-- recorded) when one fails: item queued in that queue at that version; offer id unused;
-- agent known, member of the queue, allowed presence; free units >= units; every
-- profile used < limit. Then, at once: item out of its bucket, capacity reserved, last
-- assignment in the queue = now, offer (or assignment) recorded with its deadline.
local dup = seen() if dup then return dup end
local ik, ak, ok = KEYS[3], KEYS[4], KEYS[5]
local iid, aid, oid, queue = ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local units = tonumber(ARGV[14])
local profiles, defaults = split(ARGV[15]), split(ARGV[16])
local deadline = ARGV[18]
local function conflict(what)
  return finish({ok = false, code = 'conflict:' .. what, item_id = iid, agent_id = aid,
    offer_id = oid}, false)
end
local manual = ARGV[19] == '1'
local it = redis.call('HMGET', ik, 'st', 'v', 'q', 'm')
if it[1] ~= 'queued' and not (manual and it[1] == 'manual') then
  return conflict('item_state')
end
if it[2] ~= ARGV[13] then return conflict('item_version') end
if it[3] ~= queue then return conflict('item_queue') end
if redis.call('EXISTS', ok) == 1 then return conflict('offer_id') end
local ag = redis.call('HMGET', ak, 'bp', 'tu', 'uu', 'qs')
if not ag[1] then return conflict('agent_unknown') end
local member, allowed = manual, manual
for _, q in ipairs(split(ag[4])) do if q == queue then member = true end end
if not member then return conflict('agent_queue') end
for _, p in ipairs(split(ARGV[17])) do if p == ag[1] then allowed = true end end
if not allowed then return conflict('agent_presence') end
if units > 0 and num(ag[2]) - num(ag[3]) < units then return conflict('unit_capacity') end
local limits, used = {}, {}
for i, p in ipairs(profiles) do
  local pf = redis.call('HMGET', ak, 'pl:' .. p, 'pu:' .. p)
  local limit = pf[1] and tonumber(pf[1]) or num(defaults[i])
  if num(pf[2]) + 1 > limit then return conflict('profile_capacity:' .. p) end
  limits[p], used[p] = limit, num(pf[2]) + 1
end
-- all checks passed: apply every effect
unqueue(ik, it[1])
local uu = redis.call('HINCRBY', ak, 'uu', units)
for _, p in ipairs(profiles) do redis.call('HINCRBY', ak, 'pu:' .. p, 1) end
redis.call('HSET', ak, 'la:' .. queue, NOW)
reindex(aid)
local st = 'offered'
if deadline == '' then st = 'assigned' end
redis.call('HSET', ik, 'st', st, 'o', oid, 'a', aid, 'h', '1', 'u', units, 'pf', ARGV[15])
local v = redis.call('HINCRBY', ik, 'v', 1)
local ost = 'pending'
if deadline == '' then ost = 'assigned' end
redis.call('HSET', ok, 'item', iid, 'agent', aid, 'queue', queue, 'st', ost, 'v', ARGV[13],
  'u', units, 'pf', ARGV[15], 'dl', deadline, 'at', NOW)
if deadline ~= '' then
  redis.call('ZADD', KEYS[6], deadline, oid)
  redis.call('ZADD', KEYS[7], 0, oid)
end
local res = {ok = true, code = st, item_id = iid, agent_id = aid, offer_id = oid, version = v,
  units_used = uu, units_total = num(ag[2])}
if #profiles > 0 then res.profile_used = used res.profile_limits = limits end
return finish(res, true)
