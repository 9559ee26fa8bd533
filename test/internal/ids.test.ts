import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { defaultIdGenerator } from '../../src/internal/ids.js';

describe('default ids', () => {
  it('are valid, time-sortable ULIDs, unique across many draws and pool refills', () => {
    const generate = defaultIdGenerator();
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => generate());
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(decodeTime(ids[0]!)).toBeGreaterThanOrEqual(before - 1);
  });

  it('draw each random character uniformly from the 32 of the ULID alphabet', () => {
    const generate = defaultIdGenerator();
    const counts = new Map<string, number>();
    const ids = 4_000; // 64,000 random characters
    for (let i = 0; i < ids; i++) {
      for (const char of generate().slice(10)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    // Each character is expected 2,000 times; 6 standard deviations of slack.
    for (const count of counts.values()) expect(Math.abs(count - 2_000)).toBeLessThan(6 * Math.sqrt(2_000));
  });

  it('differ in their random part within one millisecond', () => {
    const generate = defaultIdGenerator();
    const ids = Array.from({ length: 1_000 }, () => generate());
    const sameMs = ids.filter((id) => id.slice(0, 10) === ids[0]!.slice(0, 10));
    expect(new Set(sameMs.map((id) => id.slice(10))).size).toBe(sameMs.length);
  });
});
