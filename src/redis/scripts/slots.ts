import { COMMON_LUA } from './common.js';

/**
 * Concurrency slots: one sorted set per slot key, `{aw:s:<key>}`, holder → lease end (epoch ms).
 * The key expires with its last lease.
 *
 * KEYS: the slot set. ARGV: holder, limit, lease ms. Returns 1 when the holder has a slot (a holder that
 * already has one renews its lease), 0 when all `limit` slots are taken by live leases.
 */
export const ACQUIRE_SLOT_LUA = `${COMMON_LUA}
local now = server_time()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt_int(now))
local holder, limit = ARGV[1], parse_limit(ARGV[2])
if not redis.call('ZSCORE', KEYS[1], holder) and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], fmt_int(now + tonumber(ARGV[3])), holder)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], fmt_int(tonumber(last[2])))
return 1
`;
