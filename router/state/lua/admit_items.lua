-- admit_items.lua: new work items queued and offered, several in one call. For each
-- item in turn: upsert_item.lua for its input event, then, when that created the item,
-- commit_offer.lua under the decision's own event id, leaving exactly what those two
-- scripts run one after the other would (two recorded outcomes, two outbox slots).
-- KEYS[1] seen, KEYS[2] results (see _lib.lua).
-- ARGV[1..8] as in _lib.lua, except ARGV[2], ARGV[3] and ARGV[7] (event id, time and
-- outputs), which each item has of its own; ARGV[9] the number of items, then 16 per
-- item: event id, now, outputs (as ARGV[7]), item id, snapshot, queue, bucket member
-- (as upsert_item.lua), the decision's event id, its outputs, agent id, offer id,
-- units, profiles (\031), default limit of each profile (\031), allowed base presences
-- (\031), offer deadline ('' = direct assignment).
-- Touches (dynamic): each item's, agent's and offer's keys, P..'offers:due',
-- P..'agentoffers:'..agent, P..'queue:'..q..':items' / ':offered' and the agents' ready
-- indexes.
-- Returns one reply per item, in order: {duplicate, outcome JSON} when no commit was
-- tried (the input event was seen before, or the item was not created by it), else
-- {0, outcome JSON, commit duplicate, commit outcome JSON}, the commit tried at the
-- version the upsert gave the item; {-1, message} for an item whose admission raised
-- an error (the items before and after it are unaffected).
--
-- The common case (a new item, unused ids, the agent's room as decided) is applied
-- directly, with about half the calls of the two steps: the item never enters and
-- leaves its bucket, the agent is read once. What all items share is written once per
-- call: their outcome records (outbox slots, seen ids, results), and each agent's
-- change mark and ready indexes. Records of the common case wait until an item that
-- takes the two steps, or the end, so the outbox slots still follow the commit order;
-- an event id whose record is waiting is recorded before it is looked up again.
local BASE, WIDTH = 9, 16
local count = tonumber(ARGV[BASE])
local results = KEYS[2]
local replies, pending, waiting = {}, {}, {}
local touched, touched_order = {}, {}

local function record_pending()
  if #pending == 0 then return end
  local entries = {}
  for i, p in ipairs(pending) do entries[i] = p.entry end
  local encs = record_outcomes(entries)
  for i, p in ipairs(pending) do replies[p.reply][p.at] = encs[i] end
  pending, waiting = {}, {}
end

local function later(reply, at, entry)
  pending[#pending + 1] = {reply = reply, at = at, entry = entry}
  waiting[entry[1]] = true
end

local function admit(n, a)
  local function arg(i) return ARGV[a + i] end
  EVENT, NOW = arg(1), arg(2)
  local outputs, iid, snap, queue, member, oev = arg(3), arg(4), arg(5), arg(6), arg(7), arg(8)
  if waiting[EVENT] or waiting[oev] then record_pending() end
  local c = {ik = k_item(iid), ak = k_agent(arg(10)), ok = k_offer(arg(11)),
    due = k_offers_due(), aoffers = k_agent_offers(arg(10)), iid = iid, aid = arg(10),
    oid = arg(11), queue = queue, units = arg(12), profiles = arg(13), defaults = arg(14),
    allowed = arg(15), deadline = arg(16), manual = '0'}
  local known = redis.call('HMGET', results, EVENT, oev)
  if known[1] then return {1, known[1]} end

  -- Everything but the common case: the two steps, as their own scripts take them.
  local function in_two_steps()
    record_pending()
    local up = upsert_item(c.ik, iid, snap, queue, member)
    local upsert_enc = record_outcome(EVENT, up, true, outputs)
    if up.code ~= 'created' or queue == '' then return {0, upsert_enc} end
    local earlier = redis.call('HGET', results, oev)
    if earlier then return {0, upsert_enc, 1, earlier} end
    c.version = tostring(up.version)
    local res, record = commit_offer(c)
    return {0, upsert_enc, 0, record_outcome(oev, res, record, arg(9))}
  end

  if queue == '' or known[2] or redis.call('EXISTS', c.ik) == 1
      or redis.call('EXISTS', c.ok) == 1 then
    return in_two_steps()
  end
  -- commit_offer's checks on the agent, from the same read; one that fails is left to
  -- the two steps, which fail it the same way.
  local units = tonumber(c.units)
  local profiles = split(c.profiles)
  local ag = read_agent_for_commit(c.ak, profiles)
  if not ag then return in_two_steps() end
  local what, limits, used = agent_conflict(ag, c, units, profiles, split(c.defaults))
  if what then return in_two_steps() end
  -- every check passed: the effects of both steps at once (the item, new, at version 2)
  c.version = '1'
  local uu = charge_agent(c, ag, units, profiles, true)
  if not touched[c.aid] then
    touched[c.aid] = true
    touched_order[#touched_order + 1] = c.aid
  end
  local st, ost = offer_states(c)
  redis.call('HSET', c.ik, 'snap', snap, 'q', queue, 'm', member, 'st', st, 'o', c.oid,
    'a', c.aid, 'h', '1', 'u', units, 'pf', c.profiles, 'v', 2)
  record_offer(c, units, ost)
  local offered = committed(c, st, 2, uu, ag, profiles, limits, used)
  later(n, 2, {EVENT, {ok = true, code = 'created', item_id = iid, version = 1}, true,
    outputs, NOW})
  later(n, 4, {oev, offered, true, arg(9), NOW})
  return {0, false, 0, false}
end

for n = 1, count do
  local ok, reply = pcall(admit, n, BASE + (n - 1) * WIDTH)
  if not ok then
    if type(reply) == 'table' then reply = reply.err or cjson.encode(reply) end
    reply = {-1, tostring(reply)}
  end
  replies[n] = reply
end
record_pending()
for _, aid in ipairs(touched_order) do reindex(aid) end
return replies
