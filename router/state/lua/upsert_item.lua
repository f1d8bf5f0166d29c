-- upsert_item.lua: a work item was created or updated (SPEC C1, C5).
-- KEYS[1] seen, KEYS[2] results (see _lib.lua), KEYS[3] P..'item:'..id
-- ARGV[9] item id, ARGV[10] snapshot (msgpack WorkItem), ARGV[11] queue ('' = none),
-- ARGV[12] bucket member (router/state/member.py)
-- Touches (dynamic): P..'queue:'..q..':items' / ':manual' of the old and new queue.
-- Guarantees: new item -> queued (or 'unqueued' without a queue), version 1; waiting item
-- -> snapshot replaced, re-placed in its (possibly new) queue, version + 1; item on offer,
-- assigned or completed -> snapshot, queue and member replaced for a later requeue,
-- version + 1; closed / cancelled -> nothing ('terminal').
local dup = seen() if dup then return dup end
local ik, id, snap, queue, member = KEYS[3], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local st = redis.call('HGET', ik, 'st')
if st == 'closed' or st == 'cancelled' then
  return finish({ok = false, code = 'terminal', item_id = id}, true)
end
local code = 'updated'
if not st then
  code = 'created'
elseif st == 'queued' or st == 'manual' then
  unqueue(ik, st)
end
redis.call('HSET', ik, 'snap', snap, 'q', queue, 'm', member)
if not st or st == 'queued' or st == 'unqueued' then
  if queue ~= '' then
    redis.call('ZADD', k_queue_items(queue), 0, member)
    st = 'queued'
  else
    st = 'unqueued'
  end
elseif st == 'manual' then
  if queue ~= '' then redis.call('ZADD', k_queue_manual(queue), 0, member)
  else st = 'unqueued' end
end
redis.call('HSET', ik, 'st', st)
local v = redis.call('HINCRBY', ik, 'v', 1)
return finish({ok = true, code = code, item_id = id, version = v}, true)
