import { createHash } from 'node:crypto';
import { RESERVE_LUA, SETTLE_LUA, UNRESERVE_LUA, USAGE_LUA } from './budget.js';
import { CLAIM_LUA, COMPLETE_LUA, RELEASE_LUA } from './idempotency.js';
import { GET_RECORD_LUA, LIST_RECORDS_LUA, PUT_RECORD_LUA, UPDATE_RECORD_LUA } from './records.js';
import { ACQUIRE_SLOT_LUA } from './slots.js';

/** Every Lua script of the Redis store, by name. */
export const SCRIPTS = Object.freeze({
  reserve: RESERVE_LUA,
  unreserve: UNRESERVE_LUA,
  settle: SETTLE_LUA,
  usage: USAGE_LUA,
  claim: CLAIM_LUA,
  complete: COMPLETE_LUA,
  release: RELEASE_LUA,
  acquireSlot: ACQUIRE_SLOT_LUA,
  putRecord: PUT_RECORD_LUA,
  updateRecord: UPDATE_RECORD_LUA,
  getRecord: GET_RECORD_LUA,
  listRecords: LIST_RECORDS_LUA,
});

export type ScriptName = keyof typeof SCRIPTS;

/**
 * The ioredis command name a script is defined under on the client: named after the script's SHA-1, so
 * two versions of this library sharing one client never overwrite each other's scripts.
 */
export function commandName(name: ScriptName): string {
  const sha = createHash('sha1').update(SCRIPTS[name]).digest('hex').slice(0, 12);
  return `agentWarden_${name}_${sha}`;
}
