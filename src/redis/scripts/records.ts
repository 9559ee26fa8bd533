import { COMMON_LUA } from './common.js';

/**
 * Records (pending approvals and other small documents), all under one hash tag so `listRecords` is one
 * script: KEYS[1] `{aw:r}:data` (hash: key → `<version>:<JSON>`), KEYS[2] `{aw:r}:exp` (sorted set:
 * key → expiry, epoch ms), KEYS[3] `{aw:r}:idx` (sorted set of keys, all score 0, for prefix ranges).
 *
 * A record is live while its expiry is in the future. Each write first purges up to 256 expired
 * records, and all three keys expire with the last live record.
 */
const RECORDS_LUA = `${COMMON_LUA}
local DATA, EXP, IDX = KEYS[1], KEYS[2], KEYS[3]
local function purge(now)
  local gone = redis.call('ZRANGEBYSCORE', EXP, '-inf', fmt_int(now), 'LIMIT', 0, 256)
  if #gone > 0 then
    call_chunked('HDEL', DATA, gone)
    call_chunked('ZREM', EXP, gone)
    call_chunked('ZREM', IDX, gone)
  end
end
local function expire_with_last()
  local last = redis.call('ZRANGE', EXP, -1, -1, 'WITHSCORES')
  if #last == 0 then return end
  local at = fmt_int(tonumber(last[2]))
  for _, key in ipairs({ DATA, EXP, IDX }) do redis.call('PEXPIREAT', key, at) end
end
-- The live version of a record, or nil.
local function live_version(key, now)
  local exp = tonumber(redis.call('ZSCORE', EXP, key) or '0') or 0
  if exp <= now then return nil end
  local raw = redis.call('HGET', DATA, key)
  if not raw then return nil end
  return tonumber(string.sub(raw, 1, string.find(raw, ':', 1, true) - 1)), raw
end
local function write(key, version, json, expires)
  redis.call('HSET', DATA, key, fmt_int(version) .. ':' .. json)
  redis.call('ZADD', EXP, fmt_int(expires), key)
  redis.call('ZADD', IDX, 0, key)
  expire_with_last()
end
`;

/** ARGV: key, JSON, ttl ms. Returns the new version (a put over a live record raises its version). */
export const PUT_RECORD_LUA = `${RECORDS_LUA}
local now = server_time()
purge(now)
local version = (live_version(ARGV[1], now) or 0) + 1
write(ARGV[1], version, ARGV[2], now + tonumber(ARGV[3]))
return version
`;

/** ARGV: key, expected version, JSON, ttl ms. Returns the new version, or nil. */
export const UPDATE_RECORD_LUA = `${RECORDS_LUA}
local now = server_time()
purge(now)
local version = live_version(ARGV[1], now)
if version == nil or version ~= tonumber(ARGV[2]) then return false end
write(ARGV[1], version + 1, ARGV[3], now + tonumber(ARGV[4]))
return version + 1
`;

/** ARGV: key. Returns `<version>:<JSON>` of the live record, or nil. Writes nothing. */
export const GET_RECORD_LUA = `${RECORDS_LUA}
local now = server_time()
local _, raw = live_version(ARGV[1], now)
return raw or false
`;

/** ARGV: key prefix. Returns key, `<version>:<JSON>` pairs of the live records, flattened, by key. */
export const LIST_RECORDS_LUA = `${RECORDS_LUA}
local now = server_time()
purge(now)
local prefix = ARGV[1]
local keys
if prefix == '' then
  keys = redis.call('ZRANGEBYLEX', IDX, '-', '+')
else
  keys = redis.call('ZRANGEBYLEX', IDX, '[' .. prefix, '[' .. prefix .. string.char(255))
end
local out = {}
for _, key in ipairs(keys) do
  if string.sub(key, 1, #prefix) == prefix then
    local _, raw = live_version(key, now)
    if raw then
      out[#out + 1] = key
      out[#out + 1] = raw
    end
  end
end
return out
`;
