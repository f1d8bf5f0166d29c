-- finish_item.lua: the end of an item's life: complete, wrap-up release, close, cancel.
-- KEYS[1] seen, KEYS[2] results, KEYS[3] P..'item:'..item, KEYS[4] P..'wrapup:due',
-- KEYS[5] P..'declines:'..item
-- ARGV[9] action: complete | release | close | cancel | expire, ARGV[10] item id,
-- ARGV[11] wrap-up mode: until_closed | none | seconds, ARGV[12] release time ('' none)
-- Touches (dynamic): the item's queue zsets, its pending offer, P..'offers:due', the
-- offer's P..'queue:'..q..':offered', the holding agent and its ready indexes,
-- P..'items:expiry'.
-- Guarantees (SPEC M2 wrap-up, O5): complete (assigned only) keeps capacity until close,
-- releases it now, or schedules the release; release (completed, due) frees it; close and
-- cancel take a waiting item out of its queue, revoke a pending offer and release what the
-- item holds; expire (X3) is a cancel that spares an item an agent has (assigned or in
-- wrap-up: 'held_by_agent'); an expire, whatever its outcome, and a finished item leave
-- the expiry index; a finished item's records (with its last offer or assignment) expire
-- after the TTL (ARGV[8]).
local dup = seen() if dup then return dup end
local ik, action, iid = KEYS[3], ARGV[9], ARGV[10]
if action == 'expire' then redis.call('ZREM', k_item_expiries(), iid) end  -- handled
local f = redis.call('HMGET', ik, 'st', 'o', 'a')
local st = f[1]
if not st then return finish({ok = false, code = 'unknown_item', item_id = iid}, true) end
local res = {ok = true, code = action, item_id = iid}
if f[3] and f[3] ~= '' then res.agent_id = f[3] end
if st == 'closed' or st == 'cancelled' then
  res.ok = false res.code = 'item_' .. st
  return finish(res, true)
end
if action == 'complete' then
  if st ~= 'assigned' then
    res.ok = false res.code = 'not_assigned'
    return finish(res, true)
  end
  redis.call('HSET', ik, 'st', 'completed')
  if ARGV[11] == 'none' then
    res.released = release_item(ik)
  elseif ARGV[11] == 'seconds' then
    if tonumber(ARGV[12]) <= tonumber(NOW) then
      res.released = release_item(ik)
    else
      redis.call('ZADD', KEYS[4], ARGV[12], iid)
    end
  end
  res.version = redis.call('HINCRBY', ik, 'v', 1)
  return finish(res, true)
end
if action == 'release' then
  local at = redis.call('ZSCORE', KEYS[4], iid)
  if st ~= 'completed' or not at then
    res.ok = false res.code = 'nothing_to_release'
    return finish(res, true)
  end
  if tonumber(at) > tonumber(NOW) then
    res.ok = false res.code = 'not_due'
    return finish(res, false)
  end
  redis.call('ZREM', KEYS[4], iid)
  res.released = release_item(ik)
  res.version = redis.call('HINCRBY', ik, 'v', 1)
  return finish(res, true)
end
-- close / cancel / expire
if action == 'expire' and (st == 'assigned' or st == 'completed') then
  res.ok = false res.code = 'held_by_agent'
  return finish(res, true)
end
if st == 'queued' or st == 'manual' then unqueue(ik, st) end
local freed = false
if st == 'offered' and f[2] ~= '' then
  local ost = redis.call('HGET', k_offer(f[2]), 'st')
  if ost == 'pending' then
    freed = redis.call('HGET', ik, 'h') == '1'
    close_offer(f[2], 'revoked')
    res.revoked = {f[2]}
  end
end
res.released = release_item(ik) or freed
redis.call('ZREM', KEYS[4], iid)
redis.call('ZREM', k_item_expiries(), iid)
local final = 'closed'
if action == 'cancel' or action == 'expire' then final = 'cancelled' end
redis.call('HSET', ik, 'st', final)
res.version = redis.call('HINCRBY', ik, 'v', 1)
expire_finished(ik)
expire_finished(KEYS[5])
if f[2] and f[2] ~= '' then expire_finished(k_offer(f[2])) end  -- the assignment
return finish(res, true)
