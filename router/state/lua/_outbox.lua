-- _outbox.lua: prepended to outbox_take and outbox_ack (Redis Lua has no require).

-- The relay published (and the broker acknowledged) slots up to `upto` and the first
-- `late` late payloads of a batch taken at cursor `taken_at`: drop them and move the
-- cursor. Returns 1, or 0 (nothing changed) if the lease or the cursor moved meanwhile:
-- another relay took over and republishes from the cursor (duplicates, same ids, same
-- order).
local function acknowledge(lease, cursor_key, slots, late_key, owner, upto, late, taken_at)
  if redis.call('GET', lease) ~= owner then return 0 end
  local cursor = tonumber(redis.call('GET', cursor_key) or '0')
  if cursor ~= taken_at then return 0 end
  if upto > cursor then
    local fields = {}
    for n = cursor + 1, upto do fields[#fields + 1] = n end
    redis.call('HDEL', slots, unpack(fields))
    redis.call('SET', cursor_key, upto)
  end
  if late > 0 then redis.call('LTRIM', late_key, late, -1) end
  return 1
end
