-- requeue_item.lua: an assigned item goes back to a queue, e.g. a transfer (SPEC O6).
-- KEYS[1] seen, KEYS[2] results (see _lib.lua), KEYS[3] P..'item:'..id
-- ARGV[9] item id, ARGV[10] target queue, ARGV[11] bucket member in that queue,
-- ARGV[12] most requeues allowed for one item
-- Touches (dynamic): the assignment P..'offer:'..o, the agent's capacity and ready
-- indexes, P..'queue:'..q..':items' of the target queue.
-- Outcomes (all recorded): 'not_assigned' (nothing changed), 'requeue_limit' (nothing
-- changed; the item stays with its agent), 'requeued': capacity released, assignment
-- closed, item queued in the target queue with a new version; `requeues` = the count.
local dup = seen() if dup then return dup end
local ik, iid = KEYS[3], ARGV[9]
local f = redis.call('HMGET', ik, 'st', 'o', 'a', 'rq')
if f[1] ~= 'assigned' then
  return finish({ok = false, code = 'not_assigned', item_id = iid}, true)
end
local count = num(f[4]) + 1
if count > tonumber(ARGV[12]) then
  return finish({ok = false, code = 'requeue_limit', item_id = iid, agent_id = f[3],
    requeues = count - 1}, true)
end
if f[2] and f[2] ~= '' then
  redis.call('HSET', k_offer(f[2]), 'st', 'requeued')
  expire_finished(k_offer(f[2]))
end
release_item(ik)
redis.call('HSET', ik, 'q', ARGV[10], 'm', ARGV[11], 'rq', count)
local v = requeue(ik, 'queued')
return finish({ok = true, code = 'requeued', item_id = iid, agent_id = f[3], offer_id = f[2],
  version = v, released = true, requeues = count}, true)
