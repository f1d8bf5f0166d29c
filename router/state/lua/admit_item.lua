-- admit_item.lua: a new work item queued and offered in one step: upsert_item.lua for
-- the input event, then, when that created the item, commit_offer.lua under the
-- decision's own event id, leaving exactly what the two scripts run one after the other
-- would (two recorded outcomes, two outbox slots), for one call instead of two.
-- KEYS[1] seen, KEYS[2] results (see _lib.lua), KEYS[3] P..'item:'..item,
-- KEYS[4] P..'agent:'..agent, KEYS[5] P..'offer:'..offer, KEYS[6] P..'offers:due',
-- KEYS[7] P..'agentoffers:'..agent
-- ARGV[9] item id, ARGV[10] snapshot, ARGV[11] queue, ARGV[12] bucket member (as
-- upsert_item.lua); ARGV[13] the decision's event id, ARGV[14] its outputs (JSON array
-- of strings), ARGV[15] agent id, ARGV[16] offer id, ARGV[17] units, ARGV[18] profiles
-- (\031), ARGV[19] default limit of each profile (\031), ARGV[20] allowed base presences
-- (\031), ARGV[21] offer deadline ('' = direct assignment)
-- Touches (dynamic): P..'queue:'..q..':items' and the agent's ready indexes.
-- Returns {duplicate, outcome JSON} when no commit was tried (the input event was seen
-- before, or the item was not created by it), else {0, outcome JSON, commit duplicate,
-- commit outcome JSON}; the commit is tried at the version the upsert gave the item.
-- The common case (a new item, unused ids, the agent's room as decided) is applied
-- directly, with about half the calls of the two steps: the item never enters and
-- leaves its bucket, the agent is read once, and the records share their writes.
local dup = seen() if dup then return dup end
local ik, ak, ok = KEYS[3], KEYS[4], KEYS[5]
local iid, queue = ARGV[9], ARGV[11]
local oev, aid, oid = ARGV[13], ARGV[15], ARGV[16]
local units, deadline = tonumber(ARGV[17]), ARGV[21]
local profiles, defaults = split(ARGV[18]), split(ARGV[19])

-- Everything but the common case: the two steps, as their own scripts take them.
local function in_two_steps()
  local up = upsert_item(ik, iid, ARGV[10], queue, ARGV[12])
  local upsert_enc = record_outcome(EVENT, up, true, ARGV[7])
  if up.code ~= 'created' or queue == '' then return {0, upsert_enc} end
  local earlier = redis.call('HGET', KEYS[2], oev)
  if earlier then return {0, upsert_enc, 1, earlier} end
  local res, record = commit_offer({
    ik = ik, ak = ak, ok = ok, due = KEYS[6], aoffers = KEYS[7],
    iid = iid, aid = aid, oid = oid, queue = queue,
    version = tostring(up.version), units = ARGV[17], profiles = ARGV[18],
    defaults = ARGV[19], allowed = ARGV[20], deadline = deadline, manual = '0'})
  return {0, upsert_enc, 0, record_outcome(oev, res, record, ARGV[14])}
end

if queue == '' or redis.call('EXISTS', ik) == 1 or redis.call('EXISTS', ok) == 1
    or redis.call('HEXISTS', KEYS[2], oev) == 1 then
  return in_two_steps()
end
-- commit_offer's checks on the agent, from one read; one that fails is left to the two
-- steps, which fail it the same way.
local fields = {'bp', 'tu', 'uu', 'qs', 'ix', 'pls'}
for _, p in ipairs(profiles) do
  fields[#fields + 1] = 'pl:' .. p
  fields[#fields + 1] = 'pu:' .. p
end
local ag = redis.call('HMGET', ak, unpack(fields))
if not ag[1] then return in_two_steps() end
local member, allowed = false, false
for _, q in ipairs(split(ag[4])) do if q == queue then member = true end end
for _, p in ipairs(split(ARGV[20])) do if p == ag[1] then allowed = true end end
if not member or not allowed or (units > 0 and num(ag[2]) - num(ag[3]) < units) then
  return in_two_steps()
end
local limits, used = {}, {}
for i, p in ipairs(profiles) do
  local limit = ag[5 + 2 * i] and tonumber(ag[5 + 2 * i]) or num(defaults[i])
  if num(ag[6 + 2 * i]) + 1 > limit then return in_two_steps() end
  limits[p], used[p] = limit, num(ag[6 + 2 * i]) + 1
end
-- every check passed: the effects of both steps at once
local uu = redis.call('HINCRBY', ak, 'uu', units)
for _, p in ipairs(profiles) do redis.call('HINCRBY', ak, 'pu:' .. p, 1) end
redis.call('HSET', ak, 'la:' .. queue, NOW, 'cv', redis.call('INCR', k_agents_cv()))
index_ready(aid, ag[5], ag[2], uu, ag[4], ag[6])
local st, ost = 'offered', 'pending'
if deadline == '' then st, ost = 'assigned', 'assigned' end
redis.call('HSET', ik, 'snap', ARGV[10], 'q', queue, 'm', ARGV[12], 'st', st, 'o', oid,
  'a', aid, 'h', '1', 'u', units, 'pf', ARGV[18], 'v', 2)
redis.call('HSET', ok, 'item', iid, 'agent', aid, 'queue', queue, 'st', ost, 'v', '1',
  'u', units, 'pf', ARGV[18], 'dl', deadline, 'at', NOW)
if deadline ~= '' then
  redis.call('ZADD', KEYS[6], deadline, oid)
  redis.call('ZADD', KEYS[7], 0, oid)
end
local res = {ok = true, code = st, item_id = iid, agent_id = aid, offer_id = oid, version = 2,
  units_used = uu, units_total = num(ag[2])}
if #profiles > 0 then res.profile_used = used res.profile_limits = limits end
local encs = record_outcomes({
  {EVENT, {ok = true, code = 'created', item_id = iid, version = 1}, true, ARGV[7]},
  {oev, res, true, ARGV[14]}})
return {0, encs[1], 0, encs[2]}
