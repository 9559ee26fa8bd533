import { COMMON_LUA } from './common.js';
import { WINDOWS_LUA } from './windows.js';

/**
 * Budgets. One script call per budget scope (hash tag); every key it touches is in `KEYS`.
 *
 * A counter is one hash per scope, dimension and window kind, `{aw:b:<scope>}:<dimension>:<window>`:
 *
 * - `w`: the id of the window the counter holds (e.g. `day:1741564800000`). A counter found holding
 *   an earlier window is reset: the new window starts from zero.
 * - `u`: the amount used (settled) in that window.
 * - `h:<reservation id>`: a live reservation, `<amount>|<expires at, epoch ms>`. Expired holds are
 *   ignored, and dropped by the next write.
 *
 * Windowed counters expire 60 s after their window ends; `total` counters never expire.
 * A reservation also has a record `{aw:b:<scope>}:r:<id>` (its lease, the counters it holds; expires with
 * the lease) and, once settled, a marker `{aw:b:<scope>}:s:<id>` that makes settling idempotent.
 */
const BUDGET_LUA = `${COMMON_LUA}${WINDOWS_LUA}
local GRACE_MS = 60000
local SETTLED_MIN_TTL_MS = 300000

-- used, reserved by live holds other than 'except', and the number of live holds of a counter in
-- window 'id'. With 'write', a counter of an earlier window is deleted and expired holds are dropped.
local function read_counter(key, id, now, except, write)
  local raw = redis.call('HGETALL', key)
  if #raw == 0 then return 0, 0, 0 end
  local w, used, reserved, live, expired = false, 0, 0, 0, {}
  for i = 1, #raw, 2 do
    local field, value = raw[i], raw[i + 1]
    if field == 'w' then
      w = value
    elseif field == 'u' then
      used = tonumber(value)
    elseif string.sub(field, 1, 2) == 'h:' then
      local amount, expires = string.match(value, '^([^|]*)|(.*)$')
      if tonumber(expires) <= now then
        expired[#expired + 1] = field
      else
        live = live + 1
        if string.sub(field, 3) ~= except then reserved = reserved + tonumber(amount) end
      end
    end
  end
  if w ~= id then
    if write then redis.call('DEL', key) end
    return 0, 0, 0
  end
  if write and #expired > 0 then call_chunked('HDEL', key, expired) end
  return used, reserved, live
end

-- Remove reservation 'rid' from a counter; delete the counter when nothing is left in it.
local function drop_hold(key, rid, id, now)
  if redis.call('HDEL', key, 'h:' .. rid) == 0 then return end
  local used, _, live = read_counter(key, id, now, nil, true)
  if used == 0 and live == 0 then redis.call('DEL', key) end
end
`;

/**
 * Reserve in one scope. KEYS: reservation record, then one counter per item (repeats allowed).
 * ARGV: reservation id, lease ms, then per item: window, limit, amount.
 * Returns `{1}`, or `{0, position of the first refused item, used, reserved}`.
 */
export const RESERVE_LUA = `${BUDGET_LUA}
local now = server_time()
local rid, lease = ARGV[1], tonumber(ARGV[2])
local order, planned, ids, ends, seen = {}, {}, {}, {}, {}
for i = 1, #KEYS - 1 do
  local key = KEYS[i + 1]
  local kind, limit, amount = ARGV[3 * i], parse_limit(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local id, finish = window_bounds(kind, now)
  if not seen[key] then
    local used, reserved = read_counter(key, id, now, rid, false)
    seen[key] = { used, reserved }
    order[#order + 1] = key
    planned[key], ids[key], ends[key] = 0, id, finish
  end
  local used, reserved = seen[key][1], seen[key][2]
  local taken = used + reserved + planned[key]
  -- A zero amount asks "is anything left?".
  local refused
  if amount == 0 then refused = taken >= limit else refused = taken + amount > limit end
  if refused then return { 0, i - 1, fmt_num(used), fmt_num(reserved) } end
  planned[key] = planned[key] + amount
end
local expires = now + lease
local held = {}
for _, key in ipairs(order) do
  if planned[key] > 0 then
    read_counter(key, ids[key], now, nil, true)
    redis.call('HSET', key, 'w', ids[key], 'h:' .. rid, fmt_num(planned[key]) .. '|' .. fmt_int(expires))
    if ends[key] then redis.call('PEXPIREAT', key, fmt_int(ends[key] + GRACE_MS)) end
    held[#held + 1] = key
  else
    drop_hold(key, rid, ids[key], now)
  end
end
redis.call('DEL', KEYS[1])
if #held > 0 then
  local fields = { 'lease', fmt_int(lease) }
  for _, key in ipairs(held) do
    fields[#fields + 1] = key
    fields[#fields + 1] = '1'
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('PEXPIREAT', KEYS[1], fmt_int(expires))
end
return { 1 }
`;

/**
 * Undo a reservation in one scope (compensation when another scope refused). KEYS: reservation record,
 * then counters. ARGV: reservation id, then one window per counter.
 */
export const UNRESERVE_LUA = `${BUDGET_LUA}
local now = server_time()
for i = 2, #KEYS do
  drop_hold(KEYS[i], ARGV[1], (window_bounds(ARGV[i], now)), now)
end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Settle in one scope: remove the reservation's holds, add the actual amounts, once per reservation id.
 * KEYS: reservation record, settled marker, then one counter per item. ARGV: reservation id, then per
 * item: window, amount. Returns `{1 | 0, used, reserved, ...}`: 1 when settled now, 0 when this id was
 * already settled here (nothing added), then used and reserved of each item's counter afterwards.
 */
export const SETTLE_LUA = `${BUDGET_LUA}
local now = server_time()
local rid = ARGV[1]
local function answer(status)
  local out = { status }
  for i = 3, #KEYS do
    local used, reserved = read_counter(KEYS[i], (window_bounds(ARGV[2 * i - 4], now)), now, nil, false)
    out[#out + 1] = fmt_num(used)
    out[#out + 1] = fmt_num(reserved)
  end
  return out
end
if redis.call('EXISTS', KEYS[2]) == 1 then return answer(0) end
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease') or '0') or 0
redis.call('DEL', KEYS[1])
local adds, order = {}, {}
for i = 3, #KEYS do
  local key = KEYS[i]
  local kind, amount = ARGV[2 * i - 4], tonumber(ARGV[2 * i - 3])
  local id, finish = window_bounds(kind, now)
  if not adds[key] then
    drop_hold(key, rid, id, now)
    adds[key] = { 0, id, finish }
    order[#order + 1] = key
  end
  adds[key][1] = adds[key][1] + amount
end
for _, key in ipairs(order) do
  local amount, id, finish = adds[key][1], adds[key][2], adds[key][3]
  if amount > 0 then
    local used = read_counter(key, id, now, nil, true)
    redis.call('HSET', key, 'w', id, 'u', fmt_num(used + amount))
    if finish then redis.call('PEXPIREAT', key, fmt_int(finish + GRACE_MS)) end
  end
end
redis.call('SET', KEYS[2], '1', 'PX', fmt_int(math.max(lease, SETTLED_MIN_TTL_MS)))
return answer(1)
`;

/**
 * Read counters (writes nothing). KEYS: counters. ARGV: one window per counter.
 * Returns used and reserved of each counter, flattened.
 */
export const USAGE_LUA = `${BUDGET_LUA}
local now = server_time()
local out = {}
for i = 1, #KEYS do
  local used, reserved = read_counter(KEYS[i], (window_bounds(ARGV[i], now)), now, nil, false)
  out[#out + 1] = fmt_num(used)
  out[#out + 1] = fmt_num(reserved)
end
return out
`;
