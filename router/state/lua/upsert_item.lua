-- upsert_item.lua: a work item was created or updated (SPEC C1, C5).
-- KEYS[1] seen, KEYS[2] results (see _lib.lua), KEYS[3] P..'item:'..id
-- ARGV[9] item id, ARGV[10] snapshot (msgpack WorkItem), ARGV[11] queue ('' = none),
-- ARGV[12] bucket member (router/state/member.py), ARGV[13] '1' for an update ('' for a
-- creation), ARGV[14] the pending offer the update expects to revoke ('' = none)
-- Touches (dynamic): P..'queue:'..q..':items' / ':manual' of the old and new queue; for
-- an update moving an item on offer, the offer's keys (as close_offer in _lib.lua) and
-- its agent.
-- Guarantees: new item -> queued (or 'unqueued' without a queue), version 1; waiting item
-- -> snapshot replaced, re-placed in its (possibly new) queue, version + 1; an update of
-- an item on offer whose pending offer was made for another queue (the update moves it
-- elsewhere, or to no queue) -> that offer revoked (`revoked`, `agent_id`, `released`
-- when it held capacity), the item placed as a waiting one, code 'updated': it was
-- still unassigned (C5); an update expecting another offer to revoke than this ->
-- 'conflict:item_state', nothing changed, not recorded (the caller re-reads and builds
-- its outputs again); any other item on offer, assigned or completed -> snapshot, queue
-- and member replaced for a later requeue, version + 1, code 'updated_not_waiting', and
-- the outputs dropped: no queue took it, so announcing its classification and queue
-- would tell subscribers something untrue; closed / cancelled -> nothing ('terminal').
local dup = seen() if dup then return dup end
local res, record = upsert_item(KEYS[3], ARGV[9], ARGV[10], ARGV[11], ARGV[12],
  ARGV[13] == '1', ARGV[14])
return finish(res, record ~= false)
