import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { defaultIdGenerator, pooledRandom } from '../../src/internal/ids.js';

describe('default ids', () => {
  it('are valid, time-sortable ULIDs, unique across many draws and pool refills', () => {
    const generate = defaultIdGenerator();
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => generate());
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(decodeTime(ids[0]!)).toBeGreaterThanOrEqual(before - 1);
  });

  it('draw uniformly from [0, 1)', () => {
    const random = pooledRandom();
    const buckets = new Array<number>(32).fill(0);
    const draws = 64_000;
    for (let i = 0; i < draws; i++) {
      const value = random();
      expect(value >= 0 && value < 1).toBe(true);
      buckets[Math.floor(value * 32)]!++;
    }
    // Each of the 32 ULID characters is expected 2,000 times; 6 standard deviations of slack.
    for (const count of buckets) expect(Math.abs(count - 2_000)).toBeLessThan(6 * Math.sqrt(2_000));
  });
});
