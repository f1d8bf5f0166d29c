-- admit_item.lua: a new work item queued and offered in one step: upsert_item.lua for
-- the input event, then, when that created the item, commit_offer.lua under the
-- decision's own event id, exactly as the two scripts run one after the other would
-- (two recorded outcomes, two outbox slots), for one call instead of two.
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
local dup = seen() if dup then return dup end
local up = upsert_item(KEYS[3], ARGV[9], ARGV[10], ARGV[11], ARGV[12])
local upsert_enc = record_outcome(EVENT, up, true, ARGV[7])
if up.code ~= 'created' or ARGV[11] == '' then return {0, upsert_enc} end
local earlier = redis.call('HGET', KEYS[2], ARGV[13])
if earlier then return {0, upsert_enc, 1, earlier} end
local res, record = commit_offer({
  ik = KEYS[3], ak = KEYS[4], ok = KEYS[5], due = KEYS[6], aoffers = KEYS[7],
  iid = ARGV[9], aid = ARGV[15], oid = ARGV[16], queue = ARGV[11],
  version = tostring(up.version), units = ARGV[17], profiles = ARGV[18],
  defaults = ARGV[19], allowed = ARGV[20], deadline = ARGV[21], manual = '0'})
return {0, upsert_enc, 0, record_outcome(ARGV[13], res, record, ARGV[14])}
