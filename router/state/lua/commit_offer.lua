-- commit_offer.lua: commit one routing decision atomically (invariants 1 and 2, docs/design.md).
-- KEYS[1] seen, KEYS[2] results, KEYS[3] P..'item:'..item, KEYS[4] P..'agent:'..agent,
-- KEYS[5] P..'offer:'..offer, KEYS[6] P..'offers:due', KEYS[7] P..'agentoffers:'..agent
-- ARGV[9] item id, ARGV[10] agent id, ARGV[11] offer id, ARGV[12] queue,
-- ARGV[13] item version the decision saw, ARGV[14] units, ARGV[15] profiles (\031),
-- ARGV[16] default limit of each profile (\031), ARGV[17] allowed base presences (\031),
-- ARGV[18] offer deadline ('' = direct assignment), ARGV[19] '1' = manual pick (O3: the
-- item may be in the manual list; queue membership and presence are not required)
-- Touches (dynamic): P..'queue:'..q..':items' / ':offered' and the agent's ready indexes.
-- Re-checks, in order, returning a 'conflict:<what>' outcome (nothing changed, nothing
-- recorded) when one fails: item queued in that queue at that version; offer id unused;
-- agent known, member of the queue, allowed presence; free units >= units; every
-- profile used < limit. Then, at once: item out of its bucket, capacity reserved, last
-- assignment in the queue = now, offer (or assignment) recorded with its deadline.
local dup = seen() if dup then return dup end
return finish(commit_offer({
  ik = KEYS[3], ak = KEYS[4], ok = KEYS[5], due = KEYS[6], aoffers = KEYS[7],
  iid = ARGV[9], aid = ARGV[10], oid = ARGV[11], queue = ARGV[12], version = ARGV[13],
  units = ARGV[14], profiles = ARGV[15], defaults = ARGV[16], allowed = ARGV[17],
  deadline = ARGV[18], manual = ARGV[19]}))
