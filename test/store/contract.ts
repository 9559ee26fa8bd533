/**
 * The Store contract: the semantics every `Store` implementation must have (DESIGN.md §3.10).
 * `memoryStore()` and `redisStore()` both run it.
 *
 * ```ts
 * storeContract('memoryStore', async (clock) => {
 *   const store = memoryStore({ clock });
 *   return { store, cleanup: () => store.close() };
 * });
 * storeContract('redisStore', async () => ({
 *   store: redisStore({ client }),
 *   sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
 * }));
 * ```
 *
 * `make` is called once per test with a fresh manual clock that starts at {@link CONTRACT_START}
 * (Monday 2025-03-10 12:00 UTC) and returns a {@link StoreHarness}:
 *
 * - A store that reads the given clock returns no `sleep`. The suite moves time by advancing the clock,
 *   so lease and TTL expiry, exact expiry instants and UTC calendar boundaries are all tested.
 * - A store on real time (Redis scripts read the server's time) returns `sleep`. Each step of time then
 *   advances the clock and awaits `sleep(ms)`; durations stay short (leases and TTLs of {@link SHORT_MS},
 *   steps of {@link STEP_MS}), and the few tests that must jump the calendar or probe an exact instant
 *   are not registered (pass `{ manualClock: false }`).
 *
 * Every test works under a fresh random key prefix (budget keys, reservation ids, scopes, slot keys,
 * idempotency keys, nonces, record keys), so a shared backend needs no flushing between tests;
 * `cleanup` runs after each test.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { DEFAULT_MAX_RESULT_BYTES } from '../../src/store/result-size.js';
import type {
  BudgetItem,
  BudgetWindow,
  IdempotencyRecord,
  KillRecord,
  Store,
} from '../../src/store/types.js';
import { describeBatches } from './batch-contract.js';
import { createManualClock, type ManualClockLike } from './clock.js';

export type { ManualClockLike } from './clock.js';

/** What `make` returns for one test. */
export interface StoreHarness {
  store: Store;
  /** Runs after the test (close the store, disconnect, delete keys). */
  cleanup?: () => Promise<void>;
  /**
   * Give this when the store does not read the manual clock: the suite then waits for real time with it
   * after every clock step, and skips the tests that need to jump the calendar.
   */
  sleep?: (ms: number) => Promise<void>;
}

export type MakeStore = (clock: ManualClockLike) => Promise<StoreHarness>;

/** Where the manual clock starts: Monday 2025-03-10 12:00:00.000 UTC. */
export const CONTRACT_START = Date.UTC(2025, 2, 10, 12);
/** Lease and TTL used by the expiry tests. */
export const SHORT_MS = 50;
/** A step of time that outlasts {@link SHORT_MS} with margin for a real-time store. */
export const STEP_MS = 120;
/** A lease or TTL no test outlives. */
const LONG_MS = 60_000;
const DAY_MS = 86_400_000;

interface Setup {
  store: Store;
  clock: ManualClockLike;
  realTime: boolean;
  /** A key (or id, scope, nonce) unique to this test. */
  key(name: string): string;
  /** Moves time forward by `ms` for the store. */
  elapse(ms: number): Promise<void>;
  /** Skips the rest of the test unless the store reads the manual clock. */
  manualOnly(): void;
}

const record = (value: unknown): IdempotencyRecord => ({ outcome: 'ok', value, completedAt: CONTRACT_START });

export interface ContractOptions {
  /**
   * False for a store on real time (Redis): the few tests that must jump the calendar or probe an
   * exact instant are not registered for it (its own suite covers them on real time).
   * @default true
   */
  manualClock?: boolean;
}

export function storeContract(name: string, make: MakeStore, options: ContractOptions = {}): void {
  /** A test that needs a store reading the manual clock: only registered for such stores. */
  const itManual = options.manualClock === false ? () => undefined : it;
  describe(`Store contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    async function setup(_context: TestContext): Promise<Setup> {
      const clock = createManualClock(CONTRACT_START);
      const harness = await make(clock);
      if (harness.cleanup) cleanups.push(harness.cleanup);
      const prefix = `contract:${randomUUID()}:`;
      const realTime = harness.sleep !== undefined;
      return {
        store: harness.store,
        clock,
        realTime,
        key: (keyName) => `${prefix}${keyName}`,
        elapse: async (ms) => {
          clock.advance(ms);
          await harness.sleep?.(ms);
        },
        manualOnly: () => {
          if (realTime) throw new Error('this test needs a store that reads the manual clock: use itManual');
        },
      };
    }

    describeBatches(setup);

    describe('budgets', () => {
      const item = (
        key: string,
        limit: number,
        amount: number,
        window: BudgetWindow = 'day',
      ): BudgetItem => ({
        key,
        window,
        limit,
        amount,
      });

      it('reserves up to the limit and reports live reservations', async (context) => {
        const { store, key } = await setup(context);
        const k = key('cost');
        expect(
          await store.reserve({ reservationId: key('r1'), items: [item(k, 10, 4)], leaseMs: LONG_MS }),
        ).toEqual({
          ok: true,
        });
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 4 }]);
        const exact = await store.reserve({
          reservationId: key('r2'),
          items: [item(k, 10, 6)],
          leaseMs: LONG_MS,
        });
        expect(exact).toEqual({ ok: true });
        const over = await store.reserve({
          reservationId: key('r3'),
          items: [item(k, 10, 1)],
          leaseMs: LONG_MS,
        });
        expect(over).toEqual({ ok: false, index: 0, used: 0, reserved: 10, limit: 10 });
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 10 }]);
      });

      it('refuses when used + reserved + amount would exceed the limit', async (context) => {
        const { store, key } = await setup(context);
        const k = key('cost');
        expect(
          await store.settle({ reservationId: key('spent'), items: [{ key: k, window: 'day', amount: 7 }] }),
        ).toEqual([{ used: 7, reserved: 0 }]);
        expect(
          await store.reserve({ reservationId: key('r1'), items: [item(k, 10, 2)], leaseMs: LONG_MS }),
        ).toEqual({
          ok: true,
        });
        expect(
          await store.reserve({ reservationId: key('r2'), items: [item(k, 10, 2)], leaseMs: LONG_MS }),
        ).toEqual({
          ok: false,
          index: 0,
          used: 7,
          reserved: 2,
          limit: 10,
        });
        expect(
          await store.reserve({ reservationId: key('r3'), items: [item(k, 10, 1)], leaseMs: LONG_MS }),
        ).toEqual({
          ok: true,
        });
      });

      it('is all or nothing across items and names the first refused one', async (context) => {
        const { store, key } = await setup(context);
        const [a, b, c] = [key('a'), key('b'), key('c')];
        const refused = await store.reserve({
          reservationId: key('r1'),
          items: [item(a, 10, 5), item(b, 3, 4), item(c, 1, 2)],
          leaseMs: LONG_MS,
        });
        expect(refused).toEqual({ ok: false, index: 1, used: 0, reserved: 0, limit: 3 });
        const none = { used: 0, reserved: 0 };
        const usage = [a, b, c].map((k) => ({ key: k, window: 'day' as const }));
        expect(await store.budgetUsage(usage)).toEqual([none, none, none]);

        const ok = await store.reserve({
          reservationId: key('r2'),
          items: [item(a, 10, 5), item(b, 3, 3), item(c, 1, 1)],
          leaseMs: LONG_MS,
        });
        expect(ok).toEqual({ ok: true });
        expect(await store.budgetUsage(usage)).toEqual([
          { used: 0, reserved: 5 },
          { used: 0, reserved: 3 },
          { used: 0, reserved: 1 },
        ]);
      });

      it('adds up items on the same counter within one request', async (context) => {
        const { store, key } = await setup(context);
        const k = key('cost');
        const refused = await store.reserve({
          reservationId: key('r1'),
          items: [item(k, 10, 6), item(k, 10, 6)],
          leaseMs: LONG_MS,
        });
        expect(refused).toMatchObject({ ok: false, index: 1, limit: 10 });
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 0 }]);
      });

      it('treats a zero amount as a check that something is left', async (context) => {
        const { store, key } = await setup(context);
        const k = key('steps');
        expect(
          await store.reserve({ reservationId: key('r1'), items: [item(k, 5, 0)], leaseMs: LONG_MS }),
        ).toEqual({
          ok: true,
        });
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 0 }]);
        await store.settle({ reservationId: key('spent'), items: [{ key: k, window: 'day', amount: 5 }] });
        expect(
          await store.reserve({ reservationId: key('r2'), items: [item(k, 5, 0)], leaseMs: LONG_MS }),
        ).toEqual({
          ok: false,
          index: 0,
          used: 5,
          reserved: 0,
          limit: 5,
        });
        const zeroLimit = await store.reserve({
          reservationId: key('r3'),
          items: [item(key('other'), 0, 0)],
          leaseMs: LONG_MS,
        });
        expect(zeroLimit).toMatchObject({ ok: false, index: 0 });
      });

      it('never lets concurrent reservations exceed the limit', async (context) => {
        const { store, key } = await setup(context);
        const k = key('calls');
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            store.reserve({ reservationId: key(`r${i}`), items: [item(k, 10, 1)], leaseMs: LONG_MS }),
          ),
        );
        expect(results.filter((result) => result.ok)).toHaveLength(10);
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 10 }]);
      });

      it('returns an unsettled reservation to the budget when its lease expires', async (context) => {
        const { store, key, elapse } = await setup(context);
        const k = key('cost');
        await store.reserve({ reservationId: key('r1'), items: [item(k, 10, 10)], leaseMs: SHORT_MS });
        expect(
          await store.reserve({ reservationId: key('r2'), items: [item(k, 10, 1)], leaseMs: LONG_MS }),
        ).toEqual(expect.objectContaining({ ok: false }));
        await elapse(STEP_MS);
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 0 }]);
        expect(
          await store.reserve({ reservationId: key('r3'), items: [item(k, 10, 10)], leaseMs: LONG_MS }),
        ).toEqual({
          ok: true,
        });
      });

      itManual('holds a reservation for exactly its lease', async (context) => {
        const { store, key, elapse, manualOnly } = await setup(context);
        manualOnly();
        const k = key('cost');
        await store.reserve({ reservationId: key('r1'), items: [item(k, 10, 3)], leaseMs: 1_000 });
        await elapse(999);
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 3 }]);
        await elapse(1);
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 0 }]);
      });

      it('settle replaces the reservation with the actual amount', async (context) => {
        const { store, key } = await setup(context);
        const [a, b] = [key('a'), key('b')];
        await store.reserve({
          reservationId: key('r1'),
          items: [item(a, 10, 8), item(b, 10, 2)],
          leaseMs: LONG_MS,
        });
        const settled = await store.settle({
          reservationId: key('r1'),
          items: [
            { key: a, window: 'day', amount: 3 },
            { key: b, window: 'day', amount: 0 },
          ],
        });
        expect(settled).toEqual([
          { used: 3, reserved: 0 },
          { used: 0, reserved: 0 },
        ]);
        expect(
          await store.budgetUsage([
            { key: a, window: 'day' },
            { key: b, window: 'day' },
          ]),
        ).toEqual([
          { used: 3, reserved: 0 },
          { used: 0, reserved: 0 },
        ]);
      });

      it('adds a settlement only once per reservation id', async (context) => {
        const { store, key } = await setup(context);
        const k = key('cost');
        const settle = (reservationId: string) =>
          store.settle({ reservationId, items: [{ key: k, window: 'day', amount: 3 }] });
        await store.reserve({ reservationId: key('r1'), items: [item(k, 10, 5)], leaseMs: LONG_MS });
        expect(await settle(key('r1'))).toEqual([{ used: 3, reserved: 0 }]);
        // Settled again: nothing is added, and the answer is still the counter's level.
        expect(await settle(key('r1'))).toEqual([{ used: 3, reserved: 0 }]);
        await Promise.all([settle(key('r1')), settle(key('r1'))]);
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 3, reserved: 0 }]);

        // An id that was never reserved only adds, and also only once.
        await Promise.all([settle(key('never')), settle(key('never')), settle(key('never'))]);
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 6, reserved: 0 }]);
      });

      it("settle answers each item's used and reserved after settling, in item order", async (context) => {
        const { store, key } = await setup(context);
        const [a, b] = [key('a'), key('b')];
        await store.settle({ reservationId: key('earlier'), items: [{ key: b, window: 'day', amount: 1 }] });
        await store.reserve({ reservationId: key('r1'), items: [item(a, 10, 4)], leaseMs: LONG_MS });
        await store.reserve({
          reservationId: key('r2'),
          items: [item(a, 10, 2), item(b, 10, 3)],
          leaseMs: LONG_MS,
        });
        // r1 settles: its hold goes, other reservations still count; an item repeated answers twice.
        const settled = await store.settle({
          reservationId: key('r1'),
          items: [
            { key: b, window: 'day', amount: 0 },
            { key: a, window: 'day', amount: 3 },
            { key: a, window: 'total', amount: 1 },
            { key: a, window: 'day', amount: 1 },
          ],
        });
        expect(settled).toEqual([
          { used: 1, reserved: 3 },
          { used: 4, reserved: 2 },
          { used: 1, reserved: 0 },
          { used: 4, reserved: 2 },
        ]);
        expect(await store.settle({ reservationId: key('none'), items: [] })).toEqual([]);
      });

      it('counts a settlement that arrives after the lease expired', async (context) => {
        const { store, key, elapse } = await setup(context);
        const k = key('cost');
        await store.reserve({ reservationId: key('r1'), items: [item(k, 10, 5)], leaseMs: SHORT_MS });
        await elapse(STEP_MS);
        expect(
          await store.settle({ reservationId: key('r1'), items: [{ key: k, window: 'day', amount: 4 }] }),
        ).toEqual([{ used: 4, reserved: 0 }]);
        expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 4, reserved: 0 }]);
      });

      it('keeps keys and windows apart and answers in the order asked', async (context) => {
        const { store, key } = await setup(context);
        const [a, b] = [key('a'), key('b')];
        const settled = await store.settle({
          reservationId: key('s1'),
          items: [
            { key: a, window: 'day', amount: 2 },
            { key: a, window: 'total', amount: 3 },
            { key: b, window: 'day', amount: 5 },
          ],
        });
        expect(settled).toEqual([
          { used: 2, reserved: 0 },
          { used: 3, reserved: 0 },
          { used: 5, reserved: 0 },
        ]);
        expect(
          await store.budgetUsage([
            { key: b, window: 'day' },
            { key: a, window: 'hour' },
            { key: a, window: 'total' },
            { key: a, window: 'day' },
            { key: key('unknown'), window: 'month' },
          ]),
        ).toEqual([
          { used: 5, reserved: 0 },
          { used: 0, reserved: 0 },
          { used: 3, reserved: 0 },
          { used: 2, reserved: 0 },
          { used: 0, reserved: 0 },
        ]);
      });

      itManual('resets each calendar window at its UTC boundary; total never resets', async (context) => {
        const { store, key, elapse, clock, manualOnly } = await setup(context);
        manualOnly();
        const k = key('cost');
        const windows: BudgetWindow[] = ['hour', 'day', 'week', 'month', 'total'];
        const usage = async () =>
          (await store.budgetUsage(windows.map((window) => ({ key: k, window })))).map(({ used }) => used);
        const elapseTo = (time: number) => elapse(time - clock.now());

        await store.settle({
          reservationId: key('s1'),
          items: windows.map((window) => ({ key: k, window, amount: 1 })),
        });
        expect(await usage()).toEqual([1, 1, 1, 1, 1]);

        await elapseTo(Date.UTC(2025, 2, 10, 23, 59, 59, 999)); // Monday, last instant
        expect(await usage()).toEqual([0, 1, 1, 1, 1]);
        // A daily budget that is used up stays used up until midnight UTC...
        expect(
          await store.reserve({ reservationId: key('r1'), items: [item(k, 1, 1, 'day')], leaseMs: LONG_MS }),
        ).toMatchObject({ ok: false, used: 1 });
        await elapse(1); // Tuesday 00:00
        expect(await usage()).toEqual([0, 0, 1, 1, 1]);
        // ...and is whole again after it.
        expect(
          await store.reserve({ reservationId: key('r2'), items: [item(k, 1, 1, 'day')], leaseMs: LONG_MS }),
        ).toEqual({ ok: true });

        await elapseTo(Date.UTC(2025, 2, 16, 23, 59, 59, 999)); // Sunday, last instant of the ISO week
        expect(await usage()).toEqual([0, 0, 1, 1, 1]);
        await elapse(1); // Monday 2025-03-17 00:00
        expect(await usage()).toEqual([0, 0, 0, 1, 1]);

        await elapseTo(Date.UTC(2025, 3, 1)); // April
        expect(await usage()).toEqual([0, 0, 0, 0, 1]);
        await elapse(400 * DAY_MS);
        expect(await usage()).toEqual([0, 0, 0, 0, 1]);
      });
    });

    describe('kill switch', () => {
      it('finds nothing until a scope is killed', async (context) => {
        const { store, key } = await setup(context);
        expect(await store.findKill([key('tenant:t1'), key('user:u1')])).toBeNull();
        const kill: KillRecord = { scope: key('user:u1'), reason: 'runaway spend', at: CONTRACT_START };
        await store.setKill(kill);
        expect(await store.findKill([key('tenant:t1'), key('user:u1')])).toEqual(kill);
        expect(await store.findKill([key('tenant:t1')])).toBeNull();
        expect(await store.findKill([])).toBeNull();
      });

      it('returns the first match in the order of the scopes given', async (context) => {
        const { store, key } = await setup(context);
        const [global, tenant, run] = [key('global'), key('tenant:t1'), key('run:r1')];
        await store.setKill({ scope: tenant, reason: 'tenant', at: 1 });
        await store.setKill({ scope: global, reason: 'global', at: 2 });
        expect(await store.findKill([global, tenant, run])).toMatchObject({
          scope: global,
          reason: 'global',
        });
        expect(await store.findKill([run, tenant, global])).toMatchObject({
          scope: tenant,
          reason: 'tenant',
        });
      });

      it('clears and overwrites kills', async (context) => {
        const { store, key } = await setup(context);
        const scope = key('tenant:t1');
        await store.setKill({ scope, reason: 'first', at: 1 });
        await store.setKill({ scope, reason: 'second', at: 2 });
        expect(await store.findKill([scope])).toEqual({ scope, reason: 'second', at: 2 });
        await store.clearKill(scope);
        expect(await store.findKill([scope])).toBeNull();
        await expect(store.clearKill(key('never-killed'))).resolves.toBeUndefined();
      });

      it('stores and returns copies of kill records', async (context) => {
        const { store, key } = await setup(context);
        const scope = key('tenant:t1');
        const kill: KillRecord = { scope, reason: 'original', at: 1 };
        await store.setKill(kill);
        kill.reason = 'mutated after set';
        const found = await store.findKill([scope]);
        if (found) found.reason = 'mutated after find';
        expect(await store.findKill([scope])).toEqual({ scope, reason: 'original', at: 1 });
      });

      it('keeps a kill without a reason', async (context) => {
        const { store, key } = await setup(context);
        const scope = key('run:r1');
        await store.setKill({ scope, at: 5 });
        const found = await store.findKill([scope]);
        expect(found).toMatchObject({ scope, at: 5 });
        expect(found?.reason).toBeUndefined();
      });
    });

    describe('concurrency slots', () => {
      const slot = (key: string, holder: string, limit = 2, leaseMs = LONG_MS) => ({
        key,
        holder,
        limit,
        leaseMs,
      });

      it('grants slots up to the limit, again to a holder that has one', async (context) => {
        const { store, key } = await setup(context);
        const k = key('slots');
        expect(await store.acquireSlot(slot(k, 'h1'))).toBe(true);
        expect(await store.acquireSlot(slot(k, 'h2'))).toBe(true);
        expect(await store.acquireSlot(slot(k, 'h3'))).toBe(false);
        expect(await store.acquireSlot(slot(k, 'h1'))).toBe(true);
        expect(await store.acquireSlot(slot(k, 'h3'))).toBe(false);
        expect(await store.acquireSlot(slot(key('other'), 'h3'))).toBe(true);
      });

      it('frees a slot on release', async (context) => {
        const { store, key } = await setup(context);
        const k = key('slots');
        await store.acquireSlot(slot(k, 'h1', 1));
        expect(await store.acquireSlot(slot(k, 'h2', 1))).toBe(false);
        await store.releaseSlot({ key: k, holder: 'h1' });
        expect(await store.acquireSlot(slot(k, 'h2', 1))).toBe(true);
        await expect(store.releaseSlot({ key: k, holder: 'not-a-holder' })).resolves.toBeUndefined();
        expect(await store.acquireSlot(slot(k, 'h3', 1))).toBe(false);
      });

      it('frees a slot when its lease expires', async (context) => {
        const { store, key, elapse } = await setup(context);
        const k = key('slots');
        expect(await store.acquireSlot(slot(k, 'h1', 1, SHORT_MS))).toBe(true);
        expect(await store.acquireSlot(slot(k, 'h2', 1))).toBe(false);
        await elapse(STEP_MS);
        expect(await store.acquireSlot(slot(k, 'h2', 1))).toBe(true);
      });

      itManual('renews the lease when the holder acquires again', async (context) => {
        const { store, key, elapse, manualOnly } = await setup(context);
        manualOnly();
        const k = key('slots');
        await store.acquireSlot(slot(k, 'h1', 1, 1_000));
        await elapse(600);
        await store.acquireSlot(slot(k, 'h1', 1, 1_000));
        await elapse(600);
        expect(await store.acquireSlot(slot(k, 'h2', 1))).toBe(false);
        await elapse(400);
        expect(await store.acquireSlot(slot(k, 'h2', 1))).toBe(true);
      });

      it('never grants more than the limit to concurrent holders', async (context) => {
        const { store, key } = await setup(context);
        const k = key('slots');
        const granted = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.acquireSlot(slot(k, `h${i}`, 3))),
        );
        expect(granted.filter(Boolean)).toHaveLength(3);
      });
    });

    describe('idempotency', () => {
      const claim = (store: Store, key: string, owner: string, fingerprint = 'fp1', leaseMs = LONG_MS) =>
        store.claim({ key, fingerprint, owner, leaseMs });
      const fenceOf = (result: Awaited<ReturnType<Store['claim']>>): number => {
        if (result.status !== 'claimed') throw new Error(`expected a claim, got ${result.status}`);
        return result.fence;
      };

      it('claims a free key and reports it in flight, with its fingerprint, to others', async (context) => {
        const { store, key } = await setup(context);
        const k = key('idem');
        const first = await claim(store, k, 'a');
        expect(first).toEqual({ status: 'claimed', fence: expect.any(Number) });
        // The store does not compare fingerprints; it returns the stored one for the caller to compare.
        expect(await claim(store, k, 'b', 'fp2')).toEqual({ status: 'in_flight', fingerprint: 'fp1' });
        expect(await claim(store, k, 'a')).toEqual({ status: 'in_flight', fingerprint: 'fp1' });
      });

      it('only one of many concurrent claimers wins', async (context) => {
        const { store, key } = await setup(context);
        const k = key('idem');
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(store, k, `o${i}`)));
        expect(results.filter((result) => result.status === 'claimed')).toHaveLength(1);
        expect(results.filter((result) => result.status === 'in_flight')).toHaveLength(19);
      });

      it('replays a completed call and reports an indeterminate one', async (context) => {
        const { store, key } = await setup(context);
        const [done, unsure] = [key('done'), key('unsure')];
        const fence = fenceOf(await claim(store, done, 'a'));
        const result = record({ id: 'm1', nested: [1, 2] });
        expect(
          await store.complete({
            key: done,
            owner: 'a',
            fence,
            state: 'completed',
            record: result,
            ttlMs: LONG_MS,
          }),
        ).toBe(true);
        expect(await claim(store, done, 'b', 'fp2')).toEqual({
          status: 'completed',
          fingerprint: 'fp1',
          record: result,
        });

        const unsureFence = fenceOf(await claim(store, unsure, 'a'));
        const failed: IdempotencyRecord = {
          outcome: 'error',
          error: { code: 'tool_timeout', message: 'timed out', details: { ms: 5 } },
          completedAt: CONTRACT_START,
        };
        const completed = await store.complete({
          key: unsure,
          owner: 'a',
          fence: unsureFence,
          state: 'indeterminate',
          record: failed,
          ttlMs: LONG_MS,
        });
        expect(completed).toBe(true);
        expect(await claim(store, unsure, 'b')).toEqual({
          status: 'indeterminate',
          fingerprint: 'fp1',
          record: failed,
        });
      });

      it('lets only the owner with the current fence complete', async (context) => {
        const { store, key } = await setup(context);
        const k = key('idem');
        const fence = fenceOf(await claim(store, k, 'a'));
        const complete = (owner: string, withFence: number) =>
          store.complete({
            key: k,
            owner,
            fence: withFence,
            state: 'completed',
            record: record(1),
            ttlMs: LONG_MS,
          });
        expect(await complete('b', fence)).toBe(false);
        expect(await complete('a', fence + 1)).toBe(false);
        expect(await claim(store, k, 'c')).toEqual({ status: 'in_flight', fingerprint: 'fp1' });
        expect(await complete('a', fence)).toBe(true);
        expect(await complete('a', fence)).toBe(false);
        expect(
          await store.complete({
            key: key('never'),
            owner: 'a',
            fence,
            state: 'completed',
            record: record(1),
            ttlMs: LONG_MS,
          }),
        ).toBe(false);
      });

      it('release frees the key for a new claim with a higher fence', async (context) => {
        const { store, key } = await setup(context);
        const k = key('idem');
        const fence = fenceOf(await claim(store, k, 'a'));
        expect(await store.release({ key: k, owner: 'b', fence })).toBe(false);
        expect(await store.release({ key: k, owner: 'a', fence: fence + 1 })).toBe(false);
        expect(await store.release({ key: k, owner: 'a', fence })).toBe(true);
        expect(await store.release({ key: k, owner: 'a', fence })).toBe(false);
        const next = fenceOf(await claim(store, k, 'b', 'fp2'));
        expect(next).toBeGreaterThan(fence);
        // The released owner cannot complete the new claim.
        expect(
          await store.complete({
            key: k,
            owner: 'a',
            fence,
            state: 'completed',
            record: record(1),
            ttlMs: LONG_MS,
          }),
        ).toBe(false);
      });

      it('release does not drop a completed result', async (context) => {
        const { store, key } = await setup(context);
        const k = key('idem');
        const fence = fenceOf(await claim(store, k, 'a'));
        await store.complete({
          key: k,
          owner: 'a',
          fence,
          state: 'completed',
          record: record(1),
          ttlMs: LONG_MS,
        });
        expect(await store.release({ key: k, owner: 'a', fence })).toBe(false);
        expect(await claim(store, k, 'b')).toMatchObject({ status: 'completed' });
      });

      it('lets a new owner take over an expired claim; the stale owner can no longer complete', async (context) => {
        const { store, key, elapse } = await setup(context);
        const k = key('idem');
        const stale = fenceOf(await claim(store, k, 'a', 'fp1', SHORT_MS));
        await elapse(STEP_MS);
        const fresh = fenceOf(await claim(store, k, 'b', 'fp1'));
        expect(fresh).toBeGreaterThan(stale);
        expect(
          await store.complete({
            key: k,
            owner: 'a',
            fence: stale,
            state: 'completed',
            record: record('a'),
            ttlMs: LONG_MS,
          }),
        ).toBe(false);
        expect(await store.release({ key: k, owner: 'a', fence: stale })).toBe(false);
        expect(await claim(store, k, 'c')).toEqual({ status: 'in_flight', fingerprint: 'fp1' });
        expect(
          await store.complete({
            key: k,
            owner: 'b',
            fence: fresh,
            state: 'completed',
            record: record('b'),
            ttlMs: LONG_MS,
          }),
        ).toBe(true);
        expect(await claim(store, k, 'c')).toMatchObject({ status: 'completed', record: { value: 'b' } });
      });

      it('an owner whose lease expired cannot complete', async (context) => {
        const { store, key, elapse } = await setup(context);
        const k = key('idem');
        const fence = fenceOf(await claim(store, k, 'a', 'fp1', SHORT_MS));
        await elapse(STEP_MS);
        expect(
          await store.complete({
            key: k,
            owner: 'a',
            fence,
            state: 'completed',
            record: record(1),
            ttlMs: LONG_MS,
          }),
        ).toBe(false);
        expect(await claim(store, k, 'b')).toMatchObject({ status: 'claimed' });
      });

      it('forgets a result after its ttl', async (context) => {
        const { store, key, elapse } = await setup(context);
        const k = key('idem');
        const fence = fenceOf(await claim(store, k, 'a'));
        await store.complete({
          key: k,
          owner: 'a',
          fence,
          state: 'indeterminate',
          record: record(1),
          ttlMs: SHORT_MS,
        });
        expect(await claim(store, k, 'b')).toMatchObject({ status: 'indeterminate' });
        await elapse(STEP_MS);
        expect(fenceOf(await claim(store, k, 'b'))).toBeGreaterThan(fence);
      });

      it('fences strictly increase across releases, takeovers and expiry', async (context) => {
        const { store, key, elapse } = await setup(context);
        const k = key('idem');
        const fences: number[] = [];
        for (let i = 0; i < 3; i++) {
          const fence = fenceOf(await claim(store, k, `r${i}`));
          fences.push(fence);
          await store.release({ key: k, owner: `r${i}`, fence });
        }
        fences.push(fenceOf(await claim(store, k, 'expires', 'fp1', SHORT_MS)));
        await elapse(STEP_MS);
        const completer = fenceOf(await claim(store, k, 'completes'));
        fences.push(completer);
        await store.complete({
          key: k,
          owner: 'completes',
          fence: completer,
          state: 'completed',
          record: record(1),
          ttlMs: SHORT_MS,
        });
        await elapse(STEP_MS);
        fences.push(fenceOf(await claim(store, k, 'last')));
        for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]!);
      });

      it('keeps a result larger than maxResultBytes (default 256 KiB) as a digest only', async (context) => {
        const { store, key } = await setup(context);
        const complete = async (k: string, result: IdempotencyRecord) => {
          const fence = fenceOf(await claim(store, k, 'a'));
          return store.complete({
            key: k,
            owner: 'a',
            fence,
            state: 'completed',
            record: result,
            ttlMs: LONG_MS,
          });
        };
        // A JSON string of n characters takes n + 2 bytes: exactly at the limit is kept in full.
        const fits = record('x'.repeat(DEFAULT_MAX_RESULT_BYTES - 2));
        expect(await complete(key('fits'), fits)).toBe(true);
        expect(await claim(store, key('fits'), 'b')).toEqual({
          status: 'completed',
          fingerprint: 'fp1',
          record: fits,
        });

        const big = { rows: 'é'.repeat(DEFAULT_MAX_RESULT_BYTES / 2) };
        const json = JSON.stringify(big);
        expect(await complete(key('big'), record(big))).toBe(true);
        expect(await claim(store, key('big'), 'b')).toEqual({
          status: 'completed',
          fingerprint: 'fp1',
          record: {
            outcome: 'ok',
            completedAt: CONTRACT_START,
            oversized: true,
            digest: createHash('sha256').update(json).digest('hex'),
            size: Buffer.byteLength(json, 'utf8'),
          },
        });

        const failed: IdempotencyRecord = {
          outcome: 'error',
          error: { code: 'tool_error', message: 'm'.repeat(DEFAULT_MAX_RESULT_BYTES) },
          completedAt: CONTRACT_START,
        };
        expect(await complete(key('failed'), failed)).toBe(true);
        const replay = await claim(store, key('failed'), 'b');
        expect(replay).toMatchObject({ status: 'completed', record: { outcome: 'error', oversized: true } });
        expect(replay.status === 'completed' && replay.record.error).toBeUndefined();
      });

      it('stores and returns copies of records', async (context) => {
        const { store, key } = await setup(context);
        const k = key('idem');
        const fence = fenceOf(await claim(store, k, 'a'));
        const value = { items: ['x'] };
        await store.complete({
          key: k,
          owner: 'a',
          fence,
          state: 'completed',
          record: record(value),
          ttlMs: LONG_MS,
        });
        value.items.push('mutated after complete');
        const first = await claim(store, k, 'b');
        if (first.status !== 'completed') throw new Error('expected completed');
        (first.record.value as { items: string[] }).items.push('mutated after read');
        expect(await claim(store, k, 'b')).toMatchObject({ record: { value: { items: ['x'] } } });
      });
    });

    describe('nonces', () => {
      it('consumes a nonce once', async (context) => {
        const { store, key } = await setup(context);
        expect(await store.consumeNonce(key('n1'), LONG_MS)).toBe(true);
        expect(await store.consumeNonce(key('n1'), LONG_MS)).toBe(false);
        expect(await store.consumeNonce(key('n2'), LONG_MS)).toBe(true);
      });

      it('consumes a nonce once under concurrent consumption', async (context) => {
        const { store, key } = await setup(context);
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.consumeNonce(key('n1'), LONG_MS)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('forgets a nonce after its ttl', async (context) => {
        const { store, key, elapse } = await setup(context);
        expect(await store.consumeNonce(key('n1'), SHORT_MS)).toBe(true);
        expect(await store.consumeNonce(key('n1'), SHORT_MS)).toBe(false);
        await elapse(STEP_MS);
        expect(await store.consumeNonce(key('n1'), SHORT_MS)).toBe(true);
      });
    });

    describe('records', () => {
      it('puts and gets a record at version 1', async (context) => {
        const { store, key } = await setup(context);
        expect(await store.getRecord(key('missing'))).toBeNull();
        await store.putRecord(key('p1'), { status: 'pending', args: { to: 'a@b.c' } }, LONG_MS);
        expect(await store.getRecord(key('p1'))).toEqual({
          value: { status: 'pending', args: { to: 'a@b.c' } },
          version: 1,
        });
      });

      it('updates by compare-and-set on the version', async (context) => {
        const { store, key } = await setup(context);
        const k = key('p1');
        await store.putRecord(k, { status: 'pending' }, LONG_MS);
        expect(await store.updateRecord(k, 1, { status: 'approved' }, LONG_MS)).toBe(2);
        expect(await store.updateRecord(k, 1, { status: 'denied' }, LONG_MS)).toBeNull();
        expect(await store.getRecord(k)).toEqual({ value: { status: 'approved' }, version: 2 });
        expect(await store.updateRecord(k, 2, { status: 'used' }, LONG_MS)).toBe(3);
        expect(await store.updateRecord(key('missing'), 1, { status: 'x' }, LONG_MS)).toBeNull();
        expect(await store.getRecord(key('missing'))).toBeNull();
      });

      it('lets exactly one of concurrent updates of one version win', async (context) => {
        const { store, key } = await setup(context);
        const k = key('p1');
        await store.putRecord(k, { n: -1 }, LONG_MS);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, n) => store.updateRecord(k, 1, { n }, LONG_MS)),
        );
        expect(results.filter((result) => result === 2)).toHaveLength(1);
        expect(results.filter((result) => result === null)).toHaveLength(9);
        const winner = results.indexOf(2);
        expect(await store.getRecord(k)).toEqual({ value: { n: winner }, version: 2 });
      });

      it('a put over an existing record invalidates older versions', async (context) => {
        const { store, key } = await setup(context);
        const k = key('p1');
        await store.putRecord(k, 'a', LONG_MS);
        expect(await store.updateRecord(k, 1, 'b', LONG_MS)).toBe(2);
        await store.putRecord(k, 'c', LONG_MS);
        const current = await store.getRecord<string>(k);
        expect(current?.value).toBe('c');
        expect(current?.version).toBeGreaterThan(2);
        expect(await store.updateRecord(k, 2, 'd', LONG_MS)).toBeNull();
      });

      it('lists records by key prefix', async (context) => {
        const { store, key } = await setup(context);
        await store.putRecord(key('pending:b'), { id: 'b' }, LONG_MS);
        await store.putRecord(key('pending:a'), { id: 'a' }, LONG_MS);
        await store.putRecord(key('other:c'), { id: 'c' }, LONG_MS);
        await store.updateRecord(key('pending:b'), 1, { id: 'b', seen: true }, LONG_MS);
        const listed = await store.listRecords<{ id: string }>(key('pending:'));
        expect(listed.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
          { key: key('pending:a'), value: { id: 'a' }, version: 1 },
          { key: key('pending:b'), value: { id: 'b', seen: true }, version: 2 },
        ]);
        expect(await store.listRecords(key('none:'))).toEqual([]);
      });

      it('expires records after their ttl; an update sets a new ttl', async (context) => {
        const { store, key, elapse } = await setup(context);
        const [gone, kept] = [key('rec:gone'), key('rec:kept')];
        await store.putRecord(gone, 1, SHORT_MS);
        await store.putRecord(kept, 1, SHORT_MS);
        expect(await store.updateRecord(kept, 1, 2, LONG_MS)).toBe(2);
        await elapse(STEP_MS);
        expect(await store.getRecord(gone)).toBeNull();
        expect(await store.updateRecord(gone, 1, 3, LONG_MS)).toBeNull();
        expect(await store.getRecord(kept)).toEqual({ value: 2, version: 2 });
        expect(await store.listRecords(key('rec:'))).toEqual([{ key: kept, value: 2, version: 2 }]);
      });

      it('stores and returns copies', async (context) => {
        const { store, key } = await setup(context);
        const k = key('p1');
        const value = { tags: ['a'] };
        await store.putRecord(k, value, LONG_MS);
        value.tags.push('mutated after put');
        const read = await store.getRecord<{ tags: string[] }>(k);
        read?.value.tags.push('mutated after get');
        const [listed] = await store.listRecords<{ tags: string[] }>(k);
        listed?.value.tags.push('mutated after list');
        expect(await store.getRecord(k)).toEqual({ value: { tags: ['a'] }, version: 1 });
      });
    });
  });
}
