/**
 * Lua helpers every script starts with: the server's clock and number formatting.
 *
 * Time always comes from Redis (`TIME`), never from a client, so every process agrees on windows,
 * leases and TTLs. Redis 5+ replicates scripts by their effects, so reading `TIME` before writing is safe.
 */
export const COMMON_LUA = `
local function server_time()
  local t = redis.call('TIME')
  local s, us = tonumber(t[1]), tonumber(t[2])
  return s * 1000 + math.floor(us / 1000), s * 1000000 + us
end
-- Integers (epoch ms, fences) as plain digits; other numbers with 17 significant digits, which read
-- back (Lua tonumber, JS Number) as exactly the same double.
local function fmt_int(x) return string.format('%.0f', x) end
local function fmt_num(x) return string.format('%.17g', x) end
local function parse_limit(s)
  if s == 'inf' then return math.huge end
  if s == '-inf' then return -math.huge end
  return tonumber(s)
end
-- HDEL / ZREM with many members, in chunks that stay well inside Lua's stack.
local function call_chunked(command, key, members)
  for i = 1, #members, 500 do
    redis.call(command, key, unpack(members, i, math.min(i + 499, #members)))
  end
end
`;
