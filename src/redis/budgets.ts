import type {
  BudgetItem,
  BudgetUsage,
  BudgetWindow,
  ReserveRequest,
  ReserveResult,
  SettleRequest,
} from '../store/types.js';
import {
  checkItem,
  checkWindow,
  durationMs,
  encodeLimit,
  groupByTag,
  nonNegative,
  type TagGroup,
} from './codec.js';
import type { KeyLayout } from './keys.js';
import type { Part, Sender } from './sender.js';

type Settled = PromiseSettledResult<unknown>;

/** Reservation ids remembered in this process (to settle every counter they hold), at most. */
const MAX_REMEMBERED = 10_000;

interface Remembered {
  expiresAt: number;
  /** Counter key → its window, for every counter the reservation holds. */
  counters: Map<string, { tag: string; window: BudgetWindow }>;
}

/**
 * The budget operations of the Redis store: one script per budget scope (hash tag), all of a request's
 * scopes in one round trip. Remembers the counters each reservation made here holds, so that `settle`
 * frees all of them.
 */
export class RedisBudgets {
  readonly #sender: Sender;
  readonly #keys: KeyLayout;
  readonly #held = new Map<string, Remembered>();

  constructor(sender: Sender, keys: KeyLayout) {
    this.#sender = sender;
    this.#keys = keys;
  }

  reserve({ reservationId, items, leaseMs }: ReserveRequest): Part<ReserveResult> {
    const lease = durationMs('leaseMs', leaseMs);
    for (const item of items) checkItem(item);
    const groups = groupByTag(
      items.map((item) => ({ ...this.#keys.budget(item.key, item.window), ...item })),
    );
    return {
      commands: groups.map((group) => ({
        name: 'reserve',
        keys: [this.#keys.reservation(group.tag, reservationId), ...group.counters],
        args: [
          reservationId,
          lease,
          ...group.indices.flatMap((i) => {
            const item = items[i]!;
            return [item.window, encodeLimit(item.limit), item.amount];
          }),
        ],
      })),
      finish: async (replies) =>
        this.#reserved(reservationId, items, groups, lease, await Promise.allSettled(replies)),
    };
  }

  async #reserved(
    reservationId: string,
    items: BudgetItem[],
    groups: TagGroup[],
    lease: number,
    attempts: Settled[],
  ): Promise<ReserveResult> {
    let refusal: Extract<ReserveResult, { ok: false }> | undefined;
    let failure: { error: unknown } | undefined;
    for (const [g, attempt] of attempts.entries()) {
      if (attempt.status === 'rejected') {
        failure ??= { error: attempt.reason };
        continue;
      }
      const reply = attempt.value as [number, number?, string?, string?];
      if (Number(reply[0]) === 1) continue;
      const index = groups[g]!.indices[Number(reply[1])]!;
      if (!refusal || index < refusal.index) {
        refusal = {
          ok: false,
          index,
          used: Number(reply[2]),
          reserved: Number(reply[3]),
          limit: items[index]!.limit,
        };
      }
    }
    if (!refusal && !failure) {
      this.#remember(reservationId, items, groups, lease);
      return { ok: true };
    }
    // All or nothing: scopes that granted give their part back. A scope may briefly have held it, which
    // can refuse a concurrent request there, but never lets one overspend.
    const granted = groups.filter((_, g) => {
      const attempt = attempts[g]!;
      return attempt.status === 'fulfilled' && Number((attempt.value as unknown[])[0]) === 1;
    });
    await Promise.allSettled(
      this.#sender.send(
        granted.map((group) => ({
          name: 'unreserve',
          keys: [this.#keys.reservation(group.tag, reservationId), ...group.counters],
          args: [reservationId, ...group.windows],
        })),
      ),
    );
    if (refusal) return refusal;
    throw failure!.error;
  }

  settle({ reservationId, items }: SettleRequest): Part<BudgetUsage[]> {
    for (const item of items) {
      nonNegative('amount', item.amount);
      checkWindow(item.window);
    }
    const remembered = this.#held.get(reservationId);
    const all = items.map((item) => ({ ...this.#keys.budget(item.key, item.window), ...item }));
    if (remembered) {
      // Counters the reservation holds but the settlement does not name are freed too (amount 0).
      const named = new Set(all.map((entry) => entry.counter));
      for (const [counter, { tag, window }] of remembered.counters) {
        if (!named.has(counter)) all.push({ tag, counter, key: counter, window, amount: 0 });
      }
    }
    const groups = groupByTag(all);
    if (groups.length === 0) return { commands: [], finish: async () => [] };
    this.#held.delete(reservationId);
    return {
      commands: groups.map((group) => ({
        name: 'settle',
        keys: [
          this.#keys.reservation(group.tag, reservationId),
          this.#keys.settled(group.tag, reservationId),
          ...group.counters,
        ],
        args: [reservationId, ...group.indices.flatMap((i) => [all[i]!.window, all[i]!.amount])],
      })),
      finish: async (replies) => {
        const answers = await Promise.allSettled(replies);
        const failed = answers.find((answer) => answer.status === 'rejected');
        if (failed) {
          // Scopes that did settle will not settle twice; the others may be settled again later.
          if (remembered) this.#held.set(reservationId, remembered);
          throw failed.reason;
        }
        // Each scope answers whether it settled now (1) or before (0), then used and reserved per item.
        const usage: BudgetUsage[] = new Array(items.length);
        for (const [g, group] of groups.entries()) {
          const reply = (answers[g] as PromiseFulfilledResult<unknown>).value as Array<string | number>;
          for (const [j, index] of group.indices.entries()) {
            if (index < items.length) {
              usage[index] = { used: Number(reply[1 + 2 * j]), reserved: Number(reply[2 + 2 * j]) };
            }
          }
        }
        return usage;
      },
    };
  }

  usage(items: Array<Pick<BudgetItem, 'key' | 'window'>>): Part<BudgetUsage[]> {
    for (const item of items) checkWindow(item.window);
    const groups = groupByTag(
      items.map((item) => ({ ...this.#keys.budget(item.key, item.window), ...item })),
    );
    return {
      commands: groups.map((group) => ({ name: 'usage', keys: group.counters, args: group.windows })),
      finish: async (replies) => {
        const answers = (await Promise.all(replies)) as string[][];
        const usage: BudgetUsage[] = new Array(items.length);
        for (const [g, group] of groups.entries()) {
          const reply = answers[g]!;
          for (const [j, index] of group.indices.entries()) {
            usage[index] = { used: Number(reply[2 * j]), reserved: Number(reply[2 * j + 1]) };
          }
        }
        return usage;
      },
    };
  }

  /** Forgets every remembered reservation. */
  clear(): void {
    this.#held.clear();
  }

  #remember(reservationId: string, items: BudgetItem[], groups: TagGroup[], leaseMs: number): void {
    const counters = new Map<string, { tag: string; window: BudgetWindow }>();
    for (const group of groups) {
      for (const [j, index] of group.indices.entries()) {
        if (items[index]!.amount > 0)
          counters.set(group.counters[j]!, { tag: group.tag, window: group.windows[j]! });
      }
    }
    this.#held.delete(reservationId);
    if (counters.size === 0) return;
    const now = Date.now();
    if (this.#held.size >= MAX_REMEMBERED) {
      for (const [id, entry] of this.#held) if (entry.expiresAt <= now) this.#held.delete(id);
      // Still full: forget the oldest. Its holds are then returned when their lease ends.
      for (const id of this.#held.keys()) {
        if (this.#held.size < MAX_REMEMBERED) break;
        this.#held.delete(id);
      }
    }
    this.#held.set(reservationId, { expiresAt: now + leaseMs, counters });
  }
}
