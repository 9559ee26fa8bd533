import { COMMON_LUA } from './common.js';

/**
 * Idempotency claims: one hash per key, `{aw:i:<key>}`, with
 *
 * - `st`: `f` in flight, `c` completed, `i` indeterminate, `r` released (free; kept only for its fence);
 * - `fp` fingerprint, `own` owner token, `fence` fencing token, `exp` when the state ends (epoch ms);
 * - `rec`: the stored result (JSON), once completed.
 *
 * The state's end is checked against the server's time; the key itself lives 60 s longer, so the last
 * fence outlives the state. A new fence is `max(last fence + 1, server time in µs)`: it grows with every
 * claim on the key, and is still larger than any earlier fence after the key has expired.
 */
const IDEMPOTENCY_LUA = `${COMMON_LUA}
local GRACE_MS = 60000
`;

/**
 * KEYS: the claim. ARGV: fingerprint, owner, lease ms.
 * Returns `{'claimed', fence}`, `{'in_flight', fingerprint}`, or `{'completed' | 'indeterminate',
 * fingerprint, record JSON}`.
 */
export const CLAIM_LUA = `${IDEMPOTENCY_LUA}
local now, now_us = server_time()
local e = redis.call('HMGET', KEYS[1], 'st', 'fp', 'exp', 'fence', 'rec')
local st, exp = e[1], tonumber(e[3] or '0') or 0
if (st == 'f' or st == 'c' or st == 'i') and exp > now then
  if st == 'f' then return { 'in_flight', e[2] } end
  return { st == 'c' and 'completed' or 'indeterminate', e[2], e[5] or 'null' }
end
-- Free, released, or an in-flight claim whose lease ended: (take over and) claim with a new fence.
local fence = math.max((tonumber(e[4] or '0') or 0) + 1, now_us)
local expires = now + tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'st', 'f', 'fp', ARGV[1], 'own', ARGV[2], 'fence', fmt_int(fence), 'exp', fmt_int(expires))
redis.call('PEXPIREAT', KEYS[1], fmt_int(expires + GRACE_MS))
return { 'claimed', fmt_int(fence) }
`;

/** The live in-flight claim is held by ARGV[1] with fence ARGV[2]. */
const OWNED_LUA = `
local function owned(now)
  local e = redis.call('HMGET', KEYS[1], 'st', 'own', 'fence', 'exp')
  return e[1] == 'f' and e[2] == ARGV[1] and e[3] == ARGV[2] and (tonumber(e[4] or '0') or 0) > now
end
`;

/**
 * KEYS: the claim. ARGV: owner, fence, state (`c` | `i`), record JSON, ttl ms.
 * Returns 1 when written, 0 when the owner or fence no longer holds the claim.
 */
export const COMPLETE_LUA = `${IDEMPOTENCY_LUA}${OWNED_LUA}
local now = server_time()
if not owned(now) then return 0 end
local expires = now + tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'st', ARGV[3], 'rec', ARGV[4], 'exp', fmt_int(expires))
redis.call('PEXPIREAT', KEYS[1], fmt_int(expires + GRACE_MS))
return 1
`;

/**
 * KEYS: the claim. ARGV: owner, fence. Frees the key (keeping its fence for 60 s).
 * Returns 1 when released, 0 when the owner or fence no longer holds the claim.
 */
export const RELEASE_LUA = `${IDEMPOTENCY_LUA}${OWNED_LUA}
local now = server_time()
if not owned(now) then return 0 end
redis.call('HSET', KEYS[1], 'st', 'r', 'exp', fmt_int(now))
redis.call('HDEL', KEYS[1], 'rec', 'fp', 'own')
redis.call('PEXPIRE', KEYS[1], GRACE_MS)
return 1
`;
