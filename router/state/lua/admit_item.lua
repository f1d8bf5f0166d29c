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
local ik, queue = KEYS[3], ARGV[11]
local oev = ARGV[13]
local c = {ik = ik, ak = KEYS[4], ok = KEYS[5], due = KEYS[6], aoffers = KEYS[7],
  iid = ARGV[9], aid = ARGV[15], oid = ARGV[16], queue = queue, units = ARGV[17],
  profiles = ARGV[18], defaults = ARGV[19], allowed = ARGV[20], deadline = ARGV[21],
  manual = '0'}

-- Everything but the common case: the two steps, as their own scripts take them.
local function in_two_steps()
  local up = upsert_item(ik, c.iid, ARGV[10], queue, ARGV[12])
  local upsert_enc = record_outcome(EVENT, up, true, ARGV[7])
  if up.code ~= 'created' or queue == '' then return {0, upsert_enc} end
  local earlier = redis.call('HGET', KEYS[2], oev)
  if earlier then return {0, upsert_enc, 1, earlier} end
  c.version = tostring(up.version)
  local res, record = commit_offer(c)
  return {0, upsert_enc, 0, record_outcome(oev, res, record, ARGV[14])}
end

if queue == '' or redis.call('EXISTS', ik) == 1 or redis.call('EXISTS', c.ok) == 1
    or redis.call('HEXISTS', KEYS[2], oev) == 1 then
  return in_two_steps()
end
-- commit_offer's checks on the agent, from the same read; one that fails is left to the
-- two steps, which fail it the same way.
local units = tonumber(c.units)
local profiles = split(c.profiles)
local ag = read_agent_for_commit(c.ak, profiles)
if not ag then return in_two_steps() end
local what, limits, used = agent_conflict(ag, c, units, profiles, split(c.defaults))
if what then return in_two_steps() end
-- every check passed: the effects of both steps at once (the item, new, at version 2)
c.version = '1'
local uu = charge_agent(c, ag, units, profiles)
local st, ost = offer_states(c)
redis.call('HSET', ik, 'snap', ARGV[10], 'q', queue, 'm', ARGV[12], 'st', st, 'o', c.oid,
  'a', c.aid, 'h', '1', 'u', units, 'pf', c.profiles, 'v', 2)
record_offer(c, units, ost)
local encs = record_outcomes({
  {EVENT, {ok = true, code = 'created', item_id = c.iid, version = 1}, true, ARGV[7]},
  {oev, committed(c, st, 2, uu, ag, profiles, limits, used), true, ARGV[14]}})
return {0, encs[1], 0, encs[2]}
