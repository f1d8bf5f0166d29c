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
--               ARGV[8] = TTL (seconds) of a finished item's record
-- Script specific ARGV start at ARGV[9], KEYS at KEYS[3].
-- Dynamic keys are built from P with the suffixes of router/state/keys.py.
-- Every script returns {duplicate (0/1), outcome JSON}.

local P = ARGV[1]
local EVENT = ARGV[2]
local NOW = ARGV[3]
local SEP = '\031'

local function k_item(id) return P .. 'item:' .. id end
local function k_declines(id) return P .. 'declines:' .. id end
local function k_agent(id) return P .. 'agent:' .. id end
local function k_agent_offers(id) return P .. 'agentoffers:' .. id end
local function k_queue_items(q) return P .. 'queue:' .. q .. ':items' end
local function k_queue_manual(q) return P .. 'queue:' .. q .. ':manual' end
local function k_queue_ready(q) return P .. 'queue:' .. q .. ':ready' end
local function k_offer(id) return P .. 'offer:' .. id end
local function k_offers_due() return P .. 'offers:due' end
local function k_wrapup_due() return P .. 'wrapup:due' end
local function k_outbox_seq() return P .. 'outbox:seq' end
local function k_outbox_slots() return P .. 'outbox:slots' end
local function k_agents_cv() return P .. 'agents:cv' end

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

-- Encodes the outcome (the event id is the hash field, not repeated inside); records it under the event id unless `record` is false
-- (conflicts and not-yet-due timers: nothing changed, the same id may come back).
-- A recorded change with outputs takes the tenant's next outbox slot (its place in the
-- publication order, which is therefore the order of the commits): filled here when the
-- outputs were given, left '' (reserved) for the caller to fill from the outcome.
-- The outcome recorded for a replay carries the outputs (spliced in as given, not
-- decoded and encoded again); the one returned now does not, since the caller gave them.
local function finish(res, record)
  local outs = ARGV[7]
  if not res.ok and outs ~= '' then outs = '[]' end  -- given outputs announce a success
  if record and outs ~= '[]' then
    local n = redis.call('INCR', k_outbox_seq())
    redis.call('HSET', k_outbox_slots(), n, outs)
    res.seq = n
  end
  local enc = cjson.encode(res)
  if record then
    local kept = enc
    if outs ~= '[]' and outs ~= '' then
      kept = string.sub(enc, 1, -2) .. ',"outputs":' .. outs .. '}'
    end
    redis.call('ZADD', KEYS[1], NOW, EVENT)
    redis.call('HSET', KEYS[2], EVENT, kept)
    local batch = tonumber(ARGV[6])
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
  return {0, enc}
end

-- Agent capacity bookkeeping -------------------------------------------------------

-- After any write to an agent's hash: marks it changed and puts the agent into (or
-- takes it out of) the ready index of each of its queues (indexed presence and room:
-- free units, a profile with room, or no unit accounting).
-- Changed: `cv` takes the tenant's next change number (never reused, even if the agent
-- is removed and registered again), so a reader that cached the agent under its `cv`
-- knows the cached copy is still exact (read_agents.lua). One step for both, so no
-- writer can reindex and forget to mark the change.
local function reindex(aid)
  local ak = k_agent(aid)
  redis.call('HSET', ak, 'cv', redis.call('INCR', k_agents_cv()))
  local f = redis.call('HMGET', ak, 'ix', 'tu', 'uu', 'qs', 'pls')
  local free = num(f[2]) - num(f[3])
  local room = free > 0 or num(f[2]) == 0
  if not room then
    for _, p in ipairs(split(f[5])) do
      local pf = redis.call('HMGET', ak, 'pl:' .. p, 'pu:' .. p)
      if num(pf[1]) - num(pf[2]) > 0 then room = true break end
    end
  end
  local on = f[1] == '1' and room
  for _, q in ipairs(split(f[4])) do
    if on then
      redis.call('ZADD', k_queue_ready(q), free, aid)
    else
      redis.call('ZREM', k_queue_ready(q), aid)
    end
  end
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

-- Closes a pending offer (state `st`): off the deadline sweep and the agent's list,
-- capacity released. The caller decides what happens to the item.
local function close_offer(oid, st)
  local ok = k_offer(oid)
  local f = redis.call('HMGET', ok, 'item', 'agent')
  redis.call('HSET', ok, 'st', st)
  redis.call('ZREM', k_offers_due(), oid)
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
