-- upsert_item.lua: a work item was created or updated (SPEC C1, C5).
-- KEYS[1] seen, KEYS[2] results (see _lib.lua), KEYS[3] P..'item:'..id
-- ARGV[9] item id, ARGV[10] snapshot (msgpack WorkItem), ARGV[11] queue ('' = none),
-- ARGV[12] bucket member (router/state/member.py)
-- Touches (dynamic): P..'queue:'..q..':items' / ':manual' of the old and new queue.
-- Guarantees: new item -> queued (or 'unqueued' without a queue), version 1; waiting item
-- -> snapshot replaced, re-placed in its (possibly new) queue, version + 1; item on offer,
-- assigned or completed -> snapshot, queue and member replaced for a later requeue,
-- version + 1, code 'updated_not_waiting', and the outputs dropped: no queue took it, so
-- announcing its classification and queue would tell subscribers something untrue;
-- closed / cancelled -> nothing ('terminal').
local dup = seen() if dup then return dup end
return finish(upsert_item(KEYS[3], ARGV[9], ARGV[10], ARGV[11], ARGV[12]), true)
