import { afterEach, describe, expect, it, vi } from 'vitest';
import { WardenConfigError } from '../../src/errors.js';
import { memoryStore } from '../../src/store/memory-store.js';
import type { BudgetWindow } from '../../src/store/types.js';
import { windowBounds } from '../../src/store/windows.js';
import { createManualClock } from './clock.js';
import { storeContract } from './contract.js';

storeContract('memoryStore({ clock })', async (clock) => {
  const store = memoryStore({ clock });
  return { store, cleanup: () => store.close!() };
});

storeContract('memoryStore() attached to a clock', async (clock) => {
  const store = memoryStore();
  store.attach!({ clock });
  return { store, cleanup: () => store.close!() };
});

const full = /memoryStore: maxKeys \((\d+)\) reached/;

describe('memoryStore bounds', () => {
  it('throws when full of live entries and recovers once they expire', async () => {
    const clock = createManualClock(0);
    const store = memoryStore({ clock, maxKeys: 3 });
    for (const nonce of ['n1', 'n2', 'n3']) expect(await store.consumeNonce(nonce, 1_000)).toBe(true);
    await expect(store.consumeNonce('n4', 1_000)).rejects.toThrow('memoryStore: maxKeys (3) reached');
    await expect(store.putRecord('r', 1, 1_000)).rejects.toThrow(full);
    await expect(store.claim({ key: 'k', fingerprint: 'f', owner: 'o', leaseMs: 1_000 })).rejects.toThrow(
      full,
    );
    await expect(store.acquireSlot({ key: 's', holder: 'h', limit: 1, leaseMs: 1_000 })).rejects.toThrow(
      full,
    );
    await expect(store.setKill({ scope: 'global', at: 0 })).rejects.toThrow(full);
    // A nonce that failed to be stored was not consumed either.
    clock.advance(1_000);
    expect(await store.consumeNonce('n4', 1_000)).toBe(true);
    expect(await store.consumeNonce('n1', 1_000)).toBe(true);
  });

  it('never evicts live budget counters to make room', async () => {
    const clock = createManualClock(0);
    const store = memoryStore({ clock, maxKeys: 4 });
    // One counter plus one remembered settlement id.
    await store.settle({
      reservationId: 's1',
      items: [{ key: 'tenant:t1:cost', window: 'total', amount: 5 }],
    });
    expect(await store.consumeNonce('n1', 1_000)).toBe(true);
    expect(await store.consumeNonce('n2', 1_000)).toBe(true);
    await expect(store.consumeNonce('n3', 1_000)).rejects.toThrow(full);
    expect(await store.budgetUsage([{ key: 'tenant:t1:cost', window: 'total' }])).toEqual([
      { used: 5, reserved: 0 },
    ]);
    clock.advance(24 * 3_600_000);
    // The nonces and the settlement id expired; the total counter did not.
    for (const nonce of ['n3', 'n4', 'n5']) expect(await store.consumeNonce(nonce, 1_000)).toBe(true);
    expect(await store.budgetUsage([{ key: 'tenant:t1:cost', window: 'total' }])).toEqual([
      { used: 5, reserved: 0 },
    ]);
  });

  it('writes nothing when an operation does not fit', async () => {
    const clock = createManualClock(0);
    const store = memoryStore({ clock, maxKeys: 2 });
    const items = ['a', 'b'].map((key) => ({ key, window: 'day' as const, limit: 10, amount: 1 }));
    // Two counters and one reservation do not fit in two entries.
    await expect(store.reserve({ reservationId: 'r1', items, leaseMs: 1_000 })).rejects.toThrow(full);
    expect(await store.budgetUsage(items)).toEqual([
      { used: 0, reserved: 0 },
      { used: 0, reserved: 0 },
    ]);
    expect(await store.consumeNonce('n1', 1_000)).toBe(true);
    expect(await store.consumeNonce('n2', 1_000)).toBe(true);
  });

  it('does not create entries on reads, refusals or zero amounts', async () => {
    const clock = createManualClock(0);
    const store = memoryStore({ clock, maxKeys: 1 });
    await store.budgetUsage([{ key: 'a', window: 'day' }]);
    await store.findKill(['global']);
    await store.getRecord('r');
    await store.listRecords('');
    await store.releaseSlot({ key: 's', holder: 'h' });
    await store.release({ key: 'k', owner: 'o', fence: 1 });
    const precheck = {
      reservationId: 'r0',
      items: [{ key: 'a', window: 'day' as const, limit: 5, amount: 0 }],
    };
    expect(await store.reserve({ ...precheck, leaseMs: 1_000 })).toEqual({ ok: true });
    expect(await store.acquireSlot({ key: 's', holder: 'h', limit: 0, leaseMs: 1_000 })).toBe(false);
    expect(await store.consumeNonce('n1', 1_000)).toBe(true);
  });

  it('frees the entries of a settled reservation', async () => {
    const clock = createManualClock(0);
    const store = memoryStore({ clock, maxKeys: 2 });
    const item = { key: 'a', window: 'total' as const, limit: 10, amount: 2 };
    for (let i = 0; i < 5; i++) {
      expect(await store.reserve({ reservationId: `r${i}`, items: [item], leaseMs: 1_000 })).toEqual({
        ok: true,
      });
      await store.settle({ reservationId: `r${i}`, items: [{ key: 'a', window: 'total', amount: 0 }] });
      clock.advance(5 * 60_000);
    }
    expect(await store.budgetUsage([item])).toEqual([{ used: 0, reserved: 0 }]);
  });

  it('uses no timers and forgets everything on close()', async () => {
    vi.useFakeTimers();
    const store = memoryStore();
    await store.consumeNonce('n1', 60_000);
    await store.setKill({ scope: 'global', at: 0 });
    await store.putRecord('r', 1, 60_000);
    await store.reserve({
      reservationId: 'r1',
      items: [{ key: 'a', window: 'day', limit: 5, amount: 5 }],
      leaseMs: 60_000,
    });
    expect(vi.getTimerCount()).toBe(0);
    await store.close!();
    expect(await store.consumeNonce('n1', 60_000)).toBe(true);
    expect(await store.findKill(['global'])).toBeNull();
    expect(await store.getRecord('r')).toBeNull();
    expect(await store.budgetUsage([{ key: 'a', window: 'day' }])).toEqual([{ used: 0, reserved: 0 }]);
  });
});

describe('memoryStore clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the clock passed to attach()', async () => {
    const clock = createManualClock(0);
    const store = memoryStore();
    store.attach!({ clock });
    expect(await store.consumeNonce('n', 1_000)).toBe(true);
    clock.advance(999);
    expect(await store.consumeNonce('n', 1_000)).toBe(false);
    clock.advance(1);
    expect(await store.consumeNonce('n', 1_000)).toBe(true);
  });

  it('prefers its own clock to the attached one', async () => {
    const own = createManualClock(0);
    const attached = createManualClock(0);
    const store = memoryStore({ clock: own });
    store.attach!({ clock: attached });
    expect(await store.consumeNonce('n', 1_000)).toBe(true);
    attached.advance(5_000);
    expect(await store.consumeNonce('n', 1_000)).toBe(false);
    own.advance(1_000);
    expect(await store.consumeNonce('n', 1_000)).toBe(true);
  });

  it('uses Date.now without a clock', async () => {
    vi.useFakeTimers({ now: 0 });
    const store = memoryStore();
    expect(await store.consumeNonce('n', 1_000)).toBe(true);
    vi.setSystemTime(999);
    expect(await store.consumeNonce('n', 1_000)).toBe(false);
    vi.setSystemTime(1_000);
    expect(await store.consumeNonce('n', 1_000)).toBe(true);
  });
});

describe('memoryStore validation', () => {
  it('rejects a maxKeys that is not a positive integer', () => {
    for (const maxKeys of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => memoryStore({ maxKeys })).toThrow(WardenConfigError);
      expect(() => memoryStore({ maxKeys })).toThrow(/memoryStore\.maxKeys: must be a positive integer/);
    }
  });

  it('rejects durations, amounts and limits that would fail open', async () => {
    const store = memoryStore({ clock: createManualClock(0) });
    const item = { key: 'a', window: 'day' as const, limit: 5, amount: 1 };
    await expect(store.reserve({ reservationId: 'r', items: [item], leaseMs: 0 })).rejects.toThrow(/leaseMs/);
    await expect(
      store.reserve({ reservationId: 'r', items: [{ ...item, amount: -1 }], leaseMs: 1_000 }),
    ).rejects.toThrow(/amount/);
    await expect(
      store.reserve({ reservationId: 'r', items: [{ ...item, limit: Number.NaN }], leaseMs: 1_000 }),
    ).rejects.toThrow(/limit/);
    await expect(
      store.settle({ reservationId: 's', items: [{ key: 'a', window: 'day', amount: Number.NaN }] }),
    ).rejects.toThrow(/amount/);
    await expect(store.consumeNonce('n', Number.NaN)).rejects.toThrow(/ttlMs/);
    await expect(store.putRecord('r', 1, -5)).rejects.toThrow(/ttlMs/);
    await expect(store.claim({ key: 'k', fingerprint: 'f', owner: 'o', leaseMs: 0 })).rejects.toThrow(
      /leaseMs/,
    );
  });

  it('rejects values that cannot be copied without storing them', async () => {
    const store = memoryStore({ clock: createManualClock(0) });
    await expect(store.putRecord('r', { fn: () => 1 }, 1_000)).rejects.toThrow();
    expect(await store.getRecord('r')).toBeNull();
  });
});

describe('windowBounds', () => {
  const at = (iso: string) => Date.parse(iso);
  const bounds = (window: BudgetWindow, iso: string) => {
    const { id, start, end } = windowBounds(window, at(iso));
    return {
      id,
      start: new Date(start).toISOString(),
      end: end === null ? null : new Date(end).toISOString(),
    };
  };

  it('computes hour and day windows in UTC', () => {
    expect(bounds('hour', '2025-03-10T12:34:56.789Z')).toEqual({
      id: `hour:${at('2025-03-10T12:00:00Z')}`,
      start: '2025-03-10T12:00:00.000Z',
      end: '2025-03-10T13:00:00.000Z',
    });
    expect(bounds('day', '2025-03-10T23:59:59.999Z')).toEqual({
      id: `day:${at('2025-03-10T00:00:00Z')}`,
      start: '2025-03-10T00:00:00.000Z',
      end: '2025-03-11T00:00:00.000Z',
    });
    expect(bounds('day', '2025-03-11T00:00:00.000Z').start).toBe('2025-03-11T00:00:00.000Z');
  });

  it('starts ISO weeks on Monday 00:00 UTC', () => {
    const week = {
      id: `week:${at('2025-03-10T00:00:00Z')}`,
      start: '2025-03-10T00:00:00.000Z',
      end: '2025-03-17T00:00:00.000Z',
    };
    expect(bounds('week', '2025-03-10T00:00:00.000Z')).toEqual(week); // Monday
    expect(bounds('week', '2025-03-13T08:00:00.000Z')).toEqual(week); // Thursday
    expect(bounds('week', '2025-03-16T23:59:59.999Z')).toEqual(week); // Sunday
    expect(bounds('week', '2025-03-17T00:00:00.000Z').start).toBe('2025-03-17T00:00:00.000Z');
    // Across a year end, and before the epoch (1970-01-01 was a Thursday).
    expect(bounds('week', '2026-01-01T10:00:00.000Z').start).toBe('2025-12-29T00:00:00.000Z');
    expect(bounds('week', '1970-01-01T00:00:00.000Z').start).toBe('1969-12-29T00:00:00.000Z');
  });

  it('computes calendar months, including the December rollover and leap years', () => {
    expect(bounds('month', '2025-12-31T23:59:59.999Z')).toEqual({
      id: `month:${at('2025-12-01T00:00:00Z')}`,
      start: '2025-12-01T00:00:00.000Z',
      end: '2026-01-01T00:00:00.000Z',
    });
    expect(bounds('month', '2026-01-01T00:00:00.000Z').start).toBe('2026-01-01T00:00:00.000Z');
    expect(bounds('month', '2024-02-29T12:00:00.000Z').end).toBe('2024-03-01T00:00:00.000Z');
  });

  it('has one total window that never ends', () => {
    expect(windowBounds('total', at('2025-03-10T12:00:00Z'))).toEqual({ id: 'total', start: 0, end: null });
    expect(windowBounds('total', at('2099-01-01T00:00:00Z')).id).toBe('total');
  });

  it('gives each window kind its own ids', () => {
    const now = at('2025-03-01T00:00:00Z'); // start of an hour, day and month at once
    const ids = (['hour', 'day', 'week', 'month', 'total'] as const).map(
      (window) => windowBounds(window, now).id,
    );
    expect(new Set(ids).size).toBe(5);
  });
});
