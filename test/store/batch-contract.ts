/**
 * The optional batch methods of the Store contract (`beforeCall`, `afterCall`): run by `storeContract`
 * for every store that has them. Each part behaves exactly as its own method, answers on its own, and is
 * attempted whatever the other parts answer.
 */
import { describe, expect, it, type TestContext } from 'vitest';
import type { BudgetItem, ClaimRequest, Store } from '../../src/store/types.js';

const LONG_MS = 60_000;

interface BatchSetup {
  store: Store;
  /** A key (or id, scope) unique to this test. */
  key(name: string): string;
}

async function settled<T>(promise: Promise<T> | undefined): Promise<PromiseSettledResult<T>> {
  if (!promise) throw new Error('a requested part has no answer');
  try {
    return { status: 'fulfilled', value: await promise };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

export function describeBatches(setup: (context: TestContext) => Promise<BatchSetup>): void {
  describe('batches (optional)', () => {
    const item = (key: string, limit: number, amount: number): BudgetItem => ({
      key,
      window: 'day',
      limit,
      amount,
    });
    const claimOf = (key: string, owner: string): ClaimRequest => ({
      key,
      fingerprint: 'fp',
      owner,
      leaseMs: LONG_MS,
    });

    it('beforeCall answers the kill lookup, the reservation and the claim as their own methods', async (context) => {
      const { store, key } = await setup(context);
      if (!store.beforeCall || !store.afterCall) return context.skip('the store has no batch methods');
      const [global, user] = [key('global'), key('user:u1')];
      await store.setKill({ scope: user, reason: 'stop', at: 1 });
      const k = key('calls');
      const answers = await store.beforeCall({
        killScopes: [global, user],
        reserve: { reservationId: key('r1'), items: [item(k, 10, 1)], leaseMs: LONG_MS },
        claim: claimOf(key('idem'), 'owner'),
      });
      expect(await answers.kill).toEqual({ scope: user, reason: 'stop', at: 1 });
      expect(await answers.reserve).toEqual({ ok: true });
      const claimed = await answers.claim;
      expect(claimed).toMatchObject({ status: 'claimed' });
      expect(await store.budgetUsage([{ key: k, window: 'day' }])).toEqual([{ used: 0, reserved: 1 }]);
      expect(await store.claim(claimOf(key('idem'), 'other'))).toEqual({
        status: 'in_flight',
        fingerprint: 'fp',
      });

      const fence = claimed?.status === 'claimed' ? claimed.fence : -1;
      const after = await store.afterCall({
        settle: { reservationId: key('r1'), items: [{ key: k, window: 'day', amount: 1 }] },
        complete: {
          key: key('idem'),
          owner: 'owner',
          fence,
          state: 'completed',
          record: { outcome: 'ok', value: 42, completedAt: 1 },
          ttlMs: LONG_MS,
        },
      });
      expect(await after.settle).toEqual([{ used: 1, reserved: 0 }]);
      expect(await after.complete).toBe(true);
      expect(await store.claim(claimOf(key('idem'), 'other'))).toMatchObject({
        status: 'completed',
        record: { value: 42 },
      });
    });

    it('attempts every part whatever another answers; a failed part fails alone', async (context) => {
      const { store, key } = await setup(context);
      if (!store.beforeCall || !store.afterCall) return context.skip('the store has no batch methods');
      const k = key('calls');
      await store.settle({ reservationId: key('spent'), items: [{ key: k, window: 'day', amount: 10 }] });
      // A refused reservation does not keep the claim from being taken: the caller releases it.
      const refused = await store.beforeCall({
        killScopes: [key('global')],
        reserve: { reservationId: key('r1'), items: [item(k, 10, 1)], leaseMs: LONG_MS },
        claim: claimOf(key('idem'), 'owner'),
      });
      expect(await refused.kill).toBeNull();
      expect(await refused.reserve).toMatchObject({ ok: false, index: 0, used: 10, limit: 10 });
      const claimed = await refused.claim;
      expect(claimed).toMatchObject({ status: 'claimed' });
      const fence = claimed?.status === 'claimed' ? claimed.fence : -1;
      const released = await store.afterCall({ release: { key: key('idem'), owner: 'owner', fence } });
      expect(await released.release).toBe(true);

      // Arguments a part's own method would refuse fail that part only.
      const partly = await store.beforeCall({
        killScopes: [key('global')],
        reserve: { reservationId: key('r2'), items: [item(key('other'), 10, 1)], leaseMs: 0 },
        claim: claimOf(key('idem'), 'again'),
      });
      const [kill, reserve, claim] = await Promise.all([
        settled(partly.kill),
        settled(partly.reserve),
        settled(partly.claim),
      ]);
      expect(kill).toEqual({ status: 'fulfilled', value: null });
      expect(reserve.status).toBe('rejected');
      expect(claim).toMatchObject({ status: 'fulfilled', value: { status: 'claimed' } });
      const [settle, complete] = await (async () => {
        const answers = await store.afterCall!({
          settle: { reservationId: key('r3'), items: [{ key: k, window: 'day', amount: -1 }] },
          complete: {
            key: key('idem'),
            owner: 'nobody',
            fence: 1,
            state: 'completed',
            record: { outcome: 'ok', value: 1, completedAt: 1 },
            ttlMs: LONG_MS,
          },
        });
        return Promise.all([settled(answers.settle), settled(answers.complete)]);
      })();
      expect(settle.status).toBe('rejected');
      // Not the owner: nothing written, as `complete` answers.
      expect(complete).toEqual({ status: 'fulfilled', value: false });
    });
  });
}
