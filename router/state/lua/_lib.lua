-- _lib.lua: shared prelude, prepended to every mutation script when it is loaded
-- (router/state/scripts.py). Defines the common KEYS/ARGV layout and helpers.
--
-- Common KEYS:  KEYS[1] = P..'seen'     (zset event id -> event time)
--               KEYS[2] = P..'results'  (hash event id -> outcome JSON)
-- Common ARGV:  ARGV[1] = P, the key prefix 'router:{tenant}:' (all keys share its slot)
--               ARGV[2] = input event id
--               ARGV[3] = now (event time, epoch seconds, as given by the caller)
--               ARGV[4] = seen retention (seconds)   ARGV[5] = max seen ids kept
--               ARGV[6] = trim batch                 ARGV[7] = outputs, JSON array of strings,
--                                                              or '' = the caller fills them in later
--               ARGV[8] = TTL (seconds) of a finished record: an item's once it is closed
--                         or cancelled, an offer's once it is no longer pending or held
-- Script specific ARGV start at ARGV[9], KEYS at KEYS[3].
-- Dynamic keys are built from P with the suffixes of router/state/keys.py.
-- Every script returns {duplicate (0/1), outcome JSON}.

local P = ARGV[1]
local EVENT = ARGV[2]
local NOW = ARGV[3]
local FINISHED_TTL = tonumber(ARGV[8]) or 0
local SEP = '\031'

local function k_item(id) return P .. 'item:' .. id end
local function k_declines(id) return P .. 'declines:' .. id end
local function k_agent(id) return P .. 'agent:' .. id end
local function k_agent_offers(id) return P .. 'agentoffers:' .. id end
local function k_queue_items(q) return P .. 'queue:' .. q .. ':items' end
local function k_queue_manual(q) return P .. 'queue:' .. q .. ':manual' end
local function k_queue_ready(q) return P .. 'queue:' .. q .. ':ready' end
local function k_queue_offered(q) return P .. 'queue:' .. q .. ':offered' end
local function k_offer(id) return P .. 'offer:' .. id end
local function k_offers_due() return P .. 'offers:due' end
local function k_wrapup_due() return P .. 'wrapup:due' end
local function k_item_expiries() return P .. 'items:expiry' end
local function k_outbox_seq() return P .. 'outbox:seq' end
local function k_outbox_slots() return P .. 'outbox:slots' end
local function k_outbox_cursor() return P .. 'outbox:cursor' end
local function c_outbox_wake() return P .. 'outbox:wake' end
local function k_agents_cv() return P .. 'agents:cv' end
local function k_agents_cvs() return P .. 'agents:cvs' end
local function k_agents() return P .. 'agents' end
local function k_agents_listed() return P .. 'agents:listed' end

local function split(s)
  local out = {}
  if s == nil or s == false or s == '' then return out end
  local start = 1
  while true do
    local i = string.find(s, SEP, start, true)
    if not i then
      out[#out + 1] = string.sub(s, start)
      return out
    end
    out[#out + 1] = string.sub(s, start, i - 1)
    start = i + 1
  end
end

local function num(v) if v == false or v == nil or v == '' then return 0 end return tonumber(v) end

-- Returns the recorded outcome when the event was seen, else nil.
local function seen()
  local r = redis.call('HGET', KEYS[2], EVENT)
  if r then return {1, r} end
  return nil
end

-- Drops recorded outcomes past the retention or beyond the count kept: up to `times`
-- trim batches at once (a batch per outcome recorded).
local function trim_seen(times)
  local batch = tonumber(ARGV[6]) * times
  local cutoff = string.format('%.17g', tonumber(NOW) - tonumber(ARGV[4]))
  local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff, 'LIMIT', 0, batch)
  local extra = redis.call('ZCARD', KEYS[1]) - #old - tonumber(ARGV[5])
  if extra > 0 then
    if extra > batch then extra = batch end
    old = redis.call('ZRANGE', KEYS[1], 0, #old + extra - 1)
  end
  if #old > 0 then
    redis.call('ZREM', KEYS[1], unpack(old))
    redis.call('HDEL', KEYS[2], unpack(old))
  end
end

-- Encodes outcomes and records them, in order. Each entry is {event, res, record, outs,
-- now}:
-- the outcome `res` of `event` is recorded under the event id (not repeated inside)
-- unless `record` is false (conflicts and not-yet-due timers: nothing changed, the same
-- id may come back); `outs` are its outputs, a JSON array of strings, or '' to reserve;
-- `now` is the event's time (NOW if not given).
-- A recorded change with outputs takes the tenant's next outbox slot (its place in the
-- publication order, which is therefore the order of the commits): filled here when the
-- outputs were given, left '' (reserved) for the caller to fill from the outcome.
-- The outcome recorded for a replay carries the outputs (spliced in as given, not
-- decoded and encoded again); the one returned now does not, since the caller gave them.
-- A commit that finds every earlier slot published wakes the relay (outbox:wake).
-- Several entries share one write of each kind; returns the encoded outcomes.
local function record_outcomes(entries)
  local slots = 0
  for _, e in ipairs(entries) do
    if e[2].code == 'updated_not_waiting' then
      e[4] = '[]'  -- an item no queue holds: nothing to announce (upsert_item)
    elseif not e[2].ok and e[4] ~= '' then
      e[4] = '[]'  -- given outputs announce a success
    end
    if e[3] and e[4] ~= '[]' then slots = slots + 1 end
  end
  local slot_args, seen_args, result_args, encs = {}, {}, {}, {}
  local n = 0
  if slots > 0 then
    n = redis.call('INCRBY', k_outbox_seq(), slots) - slots
    -- The relay waits for this when it has published every slot: a relay with slots
    -- still to acknowledge takes the new ones with that acknowledgement.
    if n == num(redis.call('GET', k_outbox_cursor())) then
      redis.call('PUBLISH', c_outbox_wake(), '')
    end
  end
  for i, e in ipairs(entries) do
    local res, outs = e[2], e[4]
    if e[3] and outs ~= '[]' then
      n = n + 1
      res.seq = n
      slot_args[#slot_args + 1] = n
      slot_args[#slot_args + 1] = outs
    end
    local enc = cjson.encode(res)
    encs[i] = enc
    if e[3] then
      local kept = enc
      if outs ~= '[]' and outs ~= '' then
        kept = string.sub(enc, 1, -2) .. ',"outputs":' .. outs .. '}'
      end
      seen_args[#seen_args + 1] = e[5] or NOW
      seen_args[#seen_args + 1] = e[1]
      result_args[#result_args + 1] = e[1]
      result_args[#result_args + 1] = kept
    end
  end
  if #slot_args > 0 then redis.call('HSET', k_outbox_slots(), unpack(slot_args)) end
  if #seen_args > 0 then
    redis.call('ZADD', KEYS[1], unpack(seen_args))
    redis.call('HSET', KEYS[2], unpack(result_args))
    trim_seen(#seen_args / 2)  -- as much as one record at a time would
  end
  return encs
end

-- One outcome (see record_outcomes).
local function record_outcome(event, res, record, outs)
  return record_outcomes({{event, res, record, outs}})[1]
end

-- The script's own event: its outcome recorded (see record_outcomes) and returned.
local function finish(res, record)
  return {0, record_outcome(EVENT, res, record, ARGV[7])}
end

-- Agent capacity bookkeeping -------------------------------------------------------

-- After any write to an agent's hash: marks it changed and puts the agent into (or
-- takes it out of) the ready index of each of its queues (indexed presence and room:
-- free units, a profile with room, or no unit accounting).
-- Changed: `cv` takes the tenant's next change number (never reused, even if the agent
-- is removed and registered again), so a reader that cached the agent under its `cv`
-- knows the cached copy is still exact (read_agents.lua). One step for both, so no
-- writer can reindex and forget to mark the change. `index_ready` is the second half,
-- for a writer that has just read the fields itself (and marked the change).
local function index_ready(aid, ix, tu, uu, qs, pls)
  local free = num(tu) - num(uu)
  local room = free > 0 or num(tu) == 0
  if not room then
    for _, p in ipairs(split(pls)) do
      local pf = redis.call('HMGET', k_agent(aid), 'pl:' .. p, 'pu:' .. p)
      if num(pf[1]) - num(pf[2]) > 0 then room = true break end
    end
  end
  local on = ix == '1' and room
  for _, q in ipairs(split(qs)) do
    if on then
      redis.call('ZADD', k_queue_ready(q), free, aid)
    else
      redis.call('ZREM', k_queue_ready(q), aid)
    end
  end
end

-- The agent changed: a new change number, on the agent and in the tenant's list of
-- them (read_agents.lua compares those, not the agents).
local function mark_changed(aid, ak, ...)
  local cv = redis.call('INCR', k_agents_cv())
  redis.call('HSET', ak, 'cv', cv, ...)
  redis.call('HSET', k_agents_cvs(), aid, cv)
end

local function reindex(aid)
  local ak = k_agent(aid)
  mark_changed(aid, ak)
  local f = redis.call('HMGET', ak, 'ix', 'tu', 'uu', 'qs', 'pls')
  index_ready(aid, f[1], f[2], f[3], f[4], f[5])
end

local function release(aid, units, profiles)
  local ak = k_agent(aid)
  if redis.call('EXISTS', ak) == 0 then return end
  if units > 0 then redis.call('HINCRBY', ak, 'uu', -units) end
  for _, p in ipairs(profiles) do redis.call('HINCRBY', ak, 'pu:' .. p, -1) end
  redis.call('HSET', ak, 'rel', NOW)
  reindex(aid)
end

-- Releases what an item holds (capacity reserved by an offer or an assignment).
local function release_item(ik)
  local f = redis.call('HMGET', ik, 'h', 'a', 'u', 'pf')
  if f[1] ~= '1' then return false end
  release(f[2], num(f[3]), split(f[4]))
  redis.call('HSET', ik, 'h', '0')
  return true
end

-- An offer of `item` in `queue` stopped pending: the item leaves the queue's offered
-- items when it was its last pending offer (an offer from before the index existed is
-- not in it, and is not counted either).
local function unoffer(queue, item)
  if not queue or not item then return end
  local key = k_queue_offered(queue)
  if redis.call('HINCRBY', key, item, -1) <= 0 then redis.call('HDEL', key, item) end
end

-- A record nothing will change again goes after the TTL: kept, a late answer to it gets
-- its precise refusal ('offer_expired', ...), but kept for ever, one per offer ever made
-- would fill Redis, which evicts nothing (deploy/redis/redis.conf).
local function expire_finished(key)
  if FINISHED_TTL > 0 then redis.call('EXPIRE', key, FINISHED_TTL) end
end

-- Closes a pending offer (state `st`): off the deadline sweep and the agent's list,
-- capacity released, its record set to expire. The caller decides what happens to the
-- item.
local function close_offer(oid, st)
  local ok = k_offer(oid)
  local f = redis.call('HMGET', ok, 'item', 'agent', 'queue')
  redis.call('HSET', ok, 'st', st)
  expire_finished(ok)
  redis.call('ZREM', k_offers_due(), oid)
  unoffer(f[3], f[1])
  redis.call('ZREM', k_agent_offers(f[2]), oid)
  release_item(k_item(f[1]))
  return f[1], f[2]
end

-- Back into its bucket (or, excluded, into the manual list) with a new version.
local function requeue(ik, state)
  local f = redis.call('HMGET', ik, 'q', 'm')
  if state == 'manual' then
    redis.call('ZADD', k_queue_manual(f[1]), 0, f[2])
  else
    redis.call('ZADD', k_queue_items(f[1]), 0, f[2])
  end
  redis.call('HSET', ik, 'st', state, 'o', '', 'a', '')
  return redis.call('HINCRBY', ik, 'v', 1)
end

-- Takes a waiting item out of its bucket or manual list.
local function unqueue(ik, st)
  local f = redis.call('HMGET', ik, 'q', 'm')
  if st == 'queued' then redis.call('ZREM', k_queue_items(f[1]), f[2]) end
  if st == 'manual' then redis.call('ZREM', k_queue_manual(f[1]), f[2]) end
end

-- Item and offer changes, shared by their own scripts and admit_item.lua -----------

-- A work item was created or updated (upsert_item.lua has the guarantees). Returns the
-- outcome and, false, when it must not be recorded (a conflict). An update (`update`)
-- re-places an item on offer whose pending offer was made for another queue than
-- `queue`, revoking that offer, which the caller must name (`expected`, '' = none): it
-- built the outputs for it. A creation repeated never moves an item on offer.
local function upsert_item(ik, id, snap, queue, member, update, expected)
  local f = redis.call('HMGET', ik, 'st', 'o', 'a', 'h')
  local st = f[1]
  if st == 'closed' or st == 'cancelled' then
    return {ok = false, code = 'terminal', item_id = id}
  end
  local moving = ''
  if update and st == 'offered' and f[2] and f[2] ~= '' then
    local of = redis.call('HMGET', k_offer(f[2]), 'st', 'queue')
    if of[1] == 'pending' and of[2] ~= queue then moving = f[2] end
  end
  if update and moving ~= expected then
    return {ok = false, code = 'conflict:item_state', item_id = id}, false
  end
  local res = {ok = true, code = 'updated', item_id = id}
  if not st then
    res.code = 'created'
  elseif st == 'queued' or st == 'manual' then
    unqueue(ik, st)
  elseif moving ~= '' then
    -- Still unassigned (C5), and its offer was made for the queue it leaves.
    res.released = f[4] == '1'
    close_offer(moving, 'revoked')
    res.revoked = {moving}
    res.agent_id = f[3]
    redis.call('HSET', ik, 'o', '', 'a', '')
    st = 'unqueued'
  elseif st ~= 'unqueued' then
    res.code = 'updated_not_waiting'  -- on offer, assigned or in wrap-up
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
  res.version = redis.call('HINCRBY', ik, 'v', 1)
  return res
end

-- The agent's side of a commit, shared by commit_offer and admit_item.lua's short path.
-- One read of what the checks and the ready index need: bp, tu, uu, qs, ix, pls, then
-- pl:<p> and pu:<p> of each profile the item uses; nil for an unknown agent.
local function read_agent_for_commit(ak, profiles)
  local fields = {'bp', 'tu', 'uu', 'qs', 'ix', 'pls'}
  for _, p in ipairs(profiles) do
    fields[#fields + 1] = 'pl:' .. p
    fields[#fields + 1] = 'pu:' .. p
  end
  local ag = redis.call('HMGET', ak, unpack(fields))
  if not ag[1] then return nil end
  return ag
end

-- The first failing check of the agent (read by read_agent_for_commit) for commit `c`
-- ('agent_queue', 'agent_presence', 'unit_capacity', 'profile_capacity:<p>'), or nil
-- and each profile's limit and use once committed.
local function agent_conflict(ag, c, units, profiles, defaults)
  local manual = c.manual == '1'
  local member, allowed = manual, manual
  for _, q in ipairs(split(ag[4])) do if q == c.queue then member = true end end
  if not member then return 'agent_queue' end
  for _, p in ipairs(split(c.allowed)) do if p == ag[1] then allowed = true end end
  if not allowed then return 'agent_presence' end
  if units > 0 and num(ag[2]) - num(ag[3]) < units then return 'unit_capacity' end
  local limits, used = {}, {}
  for i, p in ipairs(profiles) do
    local limit = ag[5 + 2 * i] and tonumber(ag[5 + 2 * i]) or num(defaults[i])
    if num(ag[6 + 2 * i]) + 1 > limit then return 'profile_capacity:' .. p end
    limits[p], used[p] = limit, num(ag[6 + 2 * i]) + 1
  end
  return nil, limits, used
end

-- Capacity reserved, last assignment in the queue, the change marked and the ready
-- indexes updated (from `ag` as read, with the new units); returns the units used now.
-- `later`: the caller marks the change and reindexes (`reindex`) itself, once for all
-- the commits of one call to the same agent.
local function charge_agent(c, ag, units, profiles, later)
  local uu = redis.call('HINCRBY', c.ak, 'uu', units)
  for _, p in ipairs(profiles) do redis.call('HINCRBY', c.ak, 'pu:' .. p, 1) end
  if later then
    redis.call('HSET', c.ak, 'la:' .. c.queue, NOW)
  else
    mark_changed(c.aid, c.ak, 'la:' .. c.queue, NOW)
    index_ready(c.aid, ag[5], ag[2], uu, ag[4], ag[6])
  end
  return uu
end

-- The item's state and the offer's for commit `c`: offered and pending, or with no
-- deadline (direct assignment) assigned both.
local function offer_states(c)
  if c.deadline == '' then return 'assigned', 'assigned' end
  return 'offered', 'pending'
end

-- The offer (or assignment) record of commit `c`, and its deadline indexes.
local function record_offer(c, units, ost)
  redis.call('HSET', c.ok, 'item', c.iid, 'agent', c.aid, 'queue', c.queue, 'st', ost,
    'v', c.version, 'u', units, 'pf', c.profiles, 'dl', c.deadline, 'at', NOW)
  if c.deadline ~= '' then
    redis.call('ZADD', c.due, c.deadline, c.oid)
    redis.call('ZADD', c.aoffers, 0, c.oid)
    redis.call('HINCRBY', k_queue_offered(c.queue), c.iid, 1)
  end
end

-- The outcome of a successful commit `c` (the item now at version `v`).
local function committed(c, st, v, uu, ag, profiles, limits, used)
  local res = {ok = true, code = st, item_id = c.iid, agent_id = c.aid, offer_id = c.oid,
    version = v, units_used = uu, units_total = num(ag[2])}
  if #profiles > 0 then res.profile_used = used res.profile_limits = limits end
  return res
end

-- One routing decision (commit_offer.lua has the checks and effects). `c` holds the
-- keys (ik, ak, ok, due, aoffers) and arguments (iid, aid, oid, queue, version, units,
-- profiles as given, defaults, allowed, deadline, manual). Returns the outcome and
-- whether to record it (conflicts are not recorded).
local function commit_offer(c)
  local units = tonumber(c.units)
  local profiles, defaults = split(c.profiles), split(c.defaults)
  local function conflict(what)
    return {ok = false, code = 'conflict:' .. what, item_id = c.iid, agent_id = c.aid,
      offer_id = c.oid}, false
  end
  local it = redis.call('HMGET', c.ik, 'st', 'v', 'q', 'm')
  if it[1] ~= 'queued' and not (c.manual == '1' and it[1] == 'manual') then
    return conflict('item_state')
  end
  if it[2] ~= c.version then return conflict('item_version') end
  if it[3] ~= c.queue then return conflict('item_queue') end
  if redis.call('EXISTS', c.ok) == 1 then return conflict('offer_id') end
  local ag = read_agent_for_commit(c.ak, profiles)
  if not ag then return conflict('agent_unknown') end
  local what, limits, used = agent_conflict(ag, c, units, profiles, defaults)
  if what then return conflict(what) end
  -- all checks passed: apply every effect
  unqueue(c.ik, it[1])
  local uu = charge_agent(c, ag, units, profiles)
  local st, ost = offer_states(c)
  redis.call('HSET', c.ik, 'st', st, 'o', c.oid, 'a', c.aid, 'h', '1', 'u', units,
    'pf', c.profiles)
  local v = redis.call('HINCRBY', c.ik, 'v', 1)
  record_offer(c, units, ost)
  return committed(c, st, v, uu, ag, profiles, limits, used), true
end
