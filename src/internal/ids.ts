import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

const POOL_WORDS = 1024;

/**
 * A cryptographically random `() => number` in [0, 1) for ulid, drawn from a
 * pool refilled 4 KiB at a time: ulid asks for 16 values per id, and one
 * `getRandomValues` call per value was the largest cost of a guarded call.
 */
export function pooledRandom(): () => number {
  const pool = new Uint32Array(POOL_WORDS);
  let next = POOL_WORDS;
  return () => {
    if (next === POOL_WORDS) {
      randomFillSync(pool);
      next = 0;
    }
    return pool[next++]! / 0x1_0000_0000;
  };
}

/** The default id generator: ULIDs (time-sortable) with pooled cryptographic randomness. */
export function defaultIdGenerator(): () => string {
  const random = pooledRandom();
  return () => ulid(undefined, random);
}
