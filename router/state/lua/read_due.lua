-- read_due.lua: what a timer sweep must act on, read-only.
-- KEYS[1] P..'offers:due', P..'wrapup:due' or P..'items:expiry'
-- ARGV[1] P, ARGV[2] now, ARGV[3] limit, ARGV[4] 'offers' | 'wrapups' | 'expiries'
-- Touches (dynamic): P..'offer:'..id of the returned offers.
-- Returns, earliest first (ties by id), for offers {id, deadline, item, agent}, for
-- wrap-ups {item id, release time} and for expiries {item id, expiry time}.
local P = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0,
  tonumber(ARGV[3]))
local out = {}
for i = 1, #due, 2 do
  if ARGV[4] == 'offers' then
    local f = redis.call('HMGET', P .. 'offer:' .. due[i], 'item', 'agent', 'dl')
    out[#out + 1] = {due[i], f[3], f[1], f[2]}
  else
    out[#out + 1] = {due[i], due[i + 1]}
  end
end
return out
