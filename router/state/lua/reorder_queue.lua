-- reorder_queue.lua: move waiting items to the places their priority has at this time
-- (SPEC P4: buckets and order keys that use age or time to deadline change with time
-- alone). Idempotent by content: moving an item to where it already is does nothing.
-- KEYS[1] P..'queue:'..q..':items'
-- ARGV[1] P, ARGV[2] queue id, then triples: item id, version seen, new bucket member
-- Touches (dynamic): P..'item:'..id of each item.
-- An item is moved only if it still waits in that queue at that version (a concurrent
-- change re-placed it already). Returns the number of items moved.
local P, queue = ARGV[1], ARGV[2]
local moved = 0
for i = 3, #ARGV, 3 do
  local ik = P .. 'item:' .. ARGV[i]
  local f = redis.call('HMGET', ik, 'st', 'v', 'q', 'm')
  if f[1] == 'queued' and f[2] == ARGV[i + 1] and f[3] == queue and f[4] ~= ARGV[i + 2] then
    redis.call('ZREM', KEYS[1], f[4])
    redis.call('ZADD', KEYS[1], 0, ARGV[i + 2])
    redis.call('HSET', ik, 'm', ARGV[i + 2])
    moved = moved + 1
  end
end
return moved
