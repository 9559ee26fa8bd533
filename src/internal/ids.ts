import { randomFillSync } from 'node:crypto';
import { encodeTime } from 'ulid';

const POOL_BYTES = 4096;
/** Crockford's base32, the ULID alphabet. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_CHARS = 16;

/**
 * The default id generator: ULIDs (48-bit millisecond time, then 80 random bits; time-sortable). The
 * time part is encoded once per millisecond by `ulid`'s `encodeTime`; the random part takes 5 bits of
 * each of 16 bytes from a pool of cryptographic randomness refilled 4 KiB at a time.
 */
export function defaultIdGenerator(): () => string {
  const pool = new Uint8Array(POOL_BYTES);
  let next = POOL_BYTES;
  let lastMs = -1;
  let timePart = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      timePart = encodeTime(now, 10);
    }
    if (next + RANDOM_CHARS > POOL_BYTES) {
      randomFillSync(pool);
      next = 0;
    }
    let id = timePart;
    for (let i = 0; i < RANDOM_CHARS; i++) id += ALPHABET[pool[next++]! & 31];
    return id;
  };
}
