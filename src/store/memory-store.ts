import { WardenConfigError } from '../errors.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { type AfterCallResult, type BeforeCallResult, composeAfterCall, composeBeforeCall } from './batch.js';
import { IN_PROCESS } from './in-process.js';
import { boundRecordText, DEFAULT_MAX_RESULT_BYTES, maxResultBytesProblem } from './result-size.js';
import type {
  AfterCallAnswers,
  AfterCallRequest,
  BeforeCallAnswers,
  BeforeCallRequest,
  BudgetItem,
  BudgetUsage,
  ClaimRequest,
  CompleteRequest,
  IdempotencyClaim,
  IdempotencyRecord,
  KillRecord,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SettleRequest,
  SlotRequest,
  Store,
} from './types.js';
import { windowBounds } from './windows.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Time source for budget windows, leases and TTLs.
   * @default the clock `createWarden` passes to `attach()`, else `Date.now`
   */
  clock?: Clock;
  /**
   * Most live entries the store holds (budget counters, reservations, kill flags, slot holders,
   * idempotency claims, nonces, records). When full of live entries, a write throws and the warden
   * fails closed; live entries are never evicted.
   * @default 100_000
   */
  maxKeys?: number;
  /**
   * Largest idempotency result kept in full, in bytes of its JSON. A larger result is kept as a SHA-256
   * digest (`oversized: true`): the call replays as `tool_error` with `details.reason:
   * 'replay_unavailable'` and is never run again. The same limit as `redisStore()`.
   * @default 262_144 (256 KiB)
   */
  maxResultBytes?: number;
}

const DEFAULT_MAX_KEYS = 100_000;
/** A window's counter lives this long past the window's end, for late readers. */
const WINDOW_GRACE_MS = 60_000;
/** A settled reservation id is remembered for its lease, and at least this long. */
const SETTLED_MIN_TTL_MS = 5 * 60_000;
/** A periodic sweep runs at most once per this many operations (or per live entry, if more). */
const SWEEP_EVERY_OPS = 1_000;

interface Hold {
  amount: number;
  expiresAt: number;
}

interface Counter {
  used: number;
  /** `null` for the `'total'` window. */
  expiresAt: number | null;
  /** Live reservations against this counter, by reservation id. */
  holds: Map<string, Hold>;
}

interface Reservation {
  counters: string[];
  leaseMs: number;
  expiresAt: number;
}

interface Expiring {
  expiresAt: number;
}

interface ClaimEntry extends Expiring {
  state: 'in_flight' | 'completed' | 'indeterminate';
  fingerprint: string;
  owner: string;
  fence: number;
  /** The completed record as JSON (parsed again for each reader, so nobody shares or mutates it). */
  recordText?: string;
  /** A completed record JSON cannot represent, kept as a structured clone. */
  record?: IdempotencyRecord;
}

interface StoredRecord extends Expiring {
  value: unknown;
  version: number;
}

/**
 * A {@link Store} that keeps everything in this process: the default store, right for one process.
 * Use `redisStore()` when several processes must share budgets, kill flags and idempotency.
 *
 * Bounded by `maxKeys`, TTL'd, and timer-free: expired entries are dropped when read, by an amortised
 * sweep, and when the store is full. Every method runs without awaiting, so it is atomic.
 * Fencing tokens come from one counter for the whole store, so they never repeat for a key.
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new WardenConfigError({
      path: 'memoryStore.maxKeys',
      message: `must be a positive integer, got ${String(maxKeys)}`,
    });
  }
  const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const problem = maxResultBytesProblem(maxResultBytes);
  if (problem) throw new WardenConfigError({ path: 'memoryStore.maxResultBytes', message: problem });
  return new MemoryStore(maxKeys, maxResultBytes, options.clock);
}

class MemoryStore implements Store {
  /** Answers in-process, in the same tick: no operation can hang, so no time-out is armed around it. */
  readonly [IN_PROCESS] = true as const;

  readonly #maxKeys: number;
  readonly #maxResultBytes: number;
  readonly #clock: Clock | undefined;
  #attached: Clock | undefined;

  readonly #counters = new Map<string, Counter>();
  readonly #reservations = new Map<string, Reservation>();
  readonly #settled = new Map<string, Expiring>();
  readonly #kills = new Map<string, KillRecord>();
  readonly #slots = new Map<string, Map<string, number>>();
  #slotHolders = 0;
  readonly #claims = new Map<string, ClaimEntry>();
  #fence = 0;
  readonly #nonces = new Map<string, Expiring>();
  readonly #records = new Map<string, StoredRecord>();

  /** Earliest instant at which something may have expired (a sweep before it finds nothing). */
  #nextExpiry = Number.POSITIVE_INFINITY;
  #opsSinceSweep = 0;

  constructor(maxKeys: number, maxResultBytes: number, clock: Clock | undefined) {
    this.#maxKeys = maxKeys;
    this.#maxResultBytes = maxResultBytes;
    this.#clock = clock;
  }

  attach({ clock }: { clock: Clock }): void {
    this.#attached = clock;
  }

  // Budgets

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    return this.reserveNow(request);
  }

  /** {@link Store.reserve}, answered in the same tick. */
  reserveNow({ reservationId, items, leaseMs }: ReserveRequest): ReserveResult {
    const now = this.#begin();
    positive('leaseMs', leaseMs);
    // Amounts per counter for this request, so two items on one counter add up.
    const plan = new Map<string, { amount: number; end: number | null }>();
    for (const [index, item] of items.entries()) {
      checkItem(item);
      const { id, end } = windowBounds(item.window, now);
      const counterKey = `${item.key}|${id}`;
      const counter = this.#liveCounter(counterKey, now);
      const used = counter?.used ?? 0;
      const reserved = counter ? reservedIn(counter, now, reservationId) : 0;
      const planned = plan.get(counterKey)?.amount ?? 0;
      const taken = used + reserved + planned;
      // A zero amount asks "is anything left?".
      const refused = item.amount === 0 ? taken >= item.limit : taken + item.amount > item.limit;
      if (refused) return { ok: false, index, used, reserved, limit: item.limit };
      plan.set(counterKey, { amount: planned + item.amount, end });
    }

    const held = [...plan].filter(([, { amount }]) => amount > 0);
    this.#ensureRoom(now, () => {
      const newCounters = held.filter(([counterKey]) => !this.#counters.has(counterKey)).length;
      return newCounters + (this.#reservations.has(reservationId) ? 0 : 1);
    });

    this.#dropReservation(reservationId);
    if (held.length === 0) return { ok: true };
    const expiresAt = now + leaseMs;
    for (const [counterKey, { amount, end }] of held) {
      this.#counter(counterKey, end).holds.set(reservationId, { amount, expiresAt });
    }
    this.#reservations.set(reservationId, { counters: held.map(([key]) => key), leaseMs, expiresAt });
    this.#note(expiresAt);
    return { ok: true };
  }

  async settle(request: SettleRequest): Promise<BudgetUsage[]> {
    return this.settleNow(request);
  }

  /** {@link Store.settle}, answered in the same tick. */
  settleNow({ reservationId, items }: SettleRequest): BudgetUsage[] {
    const now = this.#begin();
    if (this.#live(this.#settled, reservationId, now)) return this.#usage(items, now);
    const plan = new Map<string, { amount: number; end: number | null }>();
    for (const item of items) {
      nonNegative('amount', item.amount);
      const { id, end } = windowBounds(item.window, now);
      const counterKey = `${item.key}|${id}`;
      plan.set(counterKey, { amount: (plan.get(counterKey)?.amount ?? 0) + item.amount, end });
    }
    const spent = [...plan].filter(([, { amount }]) => amount > 0);
    // New counters, plus the settled id, minus the reservation it replaces.
    this.#ensureRoom(now, () => {
      const newCounters = spent.filter(([counterKey]) => !this.#liveCounter(counterKey, now)).length;
      return newCounters + 1 - (this.#reservations.has(reservationId) ? 1 : 0);
    });

    const reservation = this.#reservations.get(reservationId);
    this.#dropReservation(reservationId);
    for (const [counterKey, { amount, end }] of spent) this.#counter(counterKey, end).used += amount;
    const expiresAt = now + Math.max(reservation?.leaseMs ?? 0, SETTLED_MIN_TTL_MS);
    this.#settled.set(reservationId, { expiresAt });
    this.#note(expiresAt);
    return this.#usage(items, now);
  }

  async budgetUsage(items: Array<Pick<BudgetItem, 'key' | 'window'>>): Promise<BudgetUsage[]> {
    return this.#usage(items, this.#begin());
  }

  #usage(items: Array<Pick<BudgetItem, 'key' | 'window'>>, now: number): BudgetUsage[] {
    return items.map((item) => {
      const counter = this.#liveCounter(`${item.key}|${windowBounds(item.window, now).id}`, now);
      return { used: counter?.used ?? 0, reserved: counter ? reservedIn(counter, now) : 0 };
    });
  }

  // Batches: the single operations, all started at once (each runs to its end before the next starts)

  async beforeCall(request: BeforeCallRequest): Promise<BeforeCallAnswers> {
    return composeBeforeCall(this, request);
  }

  async afterCall(request: AfterCallRequest): Promise<AfterCallAnswers> {
    return composeAfterCall(this, request);
  }

  /** {@link Store.beforeCall}, answered in the same tick (the warden's in-process path; see batch.ts). */
  beforeCallNow({ killScopes, reserve, claim }: BeforeCallRequest): BeforeCallResult {
    const result: BeforeCallResult = {};
    if (killScopes) result.kill = settleNow(() => this.findKillNow(killScopes));
    if (reserve) result.reserve = settleNow(() => this.reserveNow(reserve));
    if (claim) result.claim = settleNow(() => this.claimNow(claim));
    return result;
  }

  /** {@link Store.afterCall}, answered in the same tick. */
  afterCallNow({ settle, complete, release }: AfterCallRequest): AfterCallResult {
    const result: AfterCallResult = {};
    if (settle) result.settle = settleNow(() => this.settleNow(settle));
    if (complete) result.complete = settleNow(() => this.completeNow(complete));
    if (release) result.release = settleNow(() => this.releaseNow(release));
    return result;
  }

  // Kill switch

  async setKill(record: KillRecord): Promise<void> {
    const now = this.#begin();
    const copy = structuredClone(record);
    this.#ensureRoom(now, this.#kills.has(record.scope) ? 0 : 1);
    this.#kills.set(record.scope, copy);
  }

  async clearKill(scope: string): Promise<void> {
    this.#begin();
    this.#kills.delete(scope);
  }

  async findKill(scopes: string[]): Promise<KillRecord | null> {
    return this.findKillNow(scopes);
  }

  /** {@link Store.findKill}, answered in the same tick. */
  findKillNow(scopes: string[]): KillRecord | null {
    this.#begin();
    for (const scope of scopes) {
      const record = this.#kills.get(scope);
      if (record) return structuredClone(record);
    }
    return null;
  }

  // Concurrency slots

  async acquireSlot({ key, holder, limit, leaseMs }: SlotRequest): Promise<boolean> {
    const now = this.#begin();
    positive('leaseMs', leaseMs);
    const expiresAt = now + leaseMs;
    const holders = this.#liveHolders(key, now);
    if (holders?.has(holder)) {
      holders.set(holder, expiresAt);
      this.#note(expiresAt);
      return true;
    }
    if ((holders?.size ?? 0) >= limit) return false;
    this.#ensureRoom(now, 1);
    let current = this.#slots.get(key);
    if (!current) {
      current = new Map();
      this.#slots.set(key, current);
    }
    current.set(holder, expiresAt);
    this.#slotHolders += 1;
    this.#note(expiresAt);
    return true;
  }

  async releaseSlot({ key, holder }: { key: string; holder: string }): Promise<void> {
    this.#begin();
    const holders = this.#slots.get(key);
    if (holders?.delete(holder)) {
      this.#slotHolders -= 1;
      if (holders.size === 0) this.#slots.delete(key);
    }
  }

  // Idempotency

  async claim(request: ClaimRequest): Promise<IdempotencyClaim> {
    return this.claimNow(request);
  }

  /** {@link Store.claim}, answered in the same tick. */
  claimNow({ key, fingerprint, owner, leaseMs }: ClaimRequest): IdempotencyClaim {
    const now = this.#begin();
    positive('leaseMs', leaseMs);
    const entry = this.#live(this.#claims, key, now);
    if (entry?.state === 'in_flight') return { status: 'in_flight', fingerprint: entry.fingerprint };
    if (entry) {
      const record =
        entry.recordText !== undefined
          ? (JSON.parse(entry.recordText) as IdempotencyRecord)
          : structuredClone(entry.record!);
      return { status: entry.state, fingerprint: entry.fingerprint, record };
    }
    // No live entry, or an in-flight claim whose lease expired: (take over and) claim with a new fence.
    this.#ensureRoom(now, 1);
    this.#fence += 1;
    const expiresAt = now + leaseMs;
    this.#claims.set(key, {
      state: 'in_flight',
      fingerprint,
      owner,
      fence: this.#fence,
      expiresAt,
      recordText: undefined,
      record: undefined,
    });
    this.#note(expiresAt);
    return { status: 'claimed', fence: this.#fence };
  }

  async complete(request: CompleteRequest): Promise<boolean> {
    return this.completeNow(request);
  }

  /** {@link Store.complete}, answered in the same tick. */
  completeNow({ key, owner, fence, state, record, ttlMs }: CompleteRequest): boolean {
    const now = this.#begin();
    positive('ttlMs', ttlMs);
    const entry = this.#ownedClaim(key, owner, fence, now);
    if (!entry) return false;
    const text = boundRecordText(record, this.#maxResultBytes);
    // A copy that cannot be made throws here, before the entry changes.
    const copy = text === undefined ? structuredClone(record) : undefined;
    const expiresAt = now + ttlMs;
    // Settled in place. The owner matters only while the claim is in flight: a settled record drops it.
    entry.state = state;
    entry.owner = '';
    entry.expiresAt = expiresAt;
    entry.recordText = text;
    entry.record = copy;
    this.#note(expiresAt);
    return true;
  }

  async release(request: ReleaseRequest): Promise<boolean> {
    return this.releaseNow(request);
  }

  /** {@link Store.release}, answered in the same tick. */
  releaseNow({ key, owner, fence }: ReleaseRequest): boolean {
    const now = this.#begin();
    if (!this.#ownedClaim(key, owner, fence, now)) return false;
    this.#claims.delete(key);
    return true;
  }

  // Nonces

  async consumeNonce(nonce: string, ttlMs: number): Promise<boolean> {
    const now = this.#begin();
    positive('ttlMs', ttlMs);
    if (this.#live(this.#nonces, nonce, now)) return false;
    this.#ensureRoom(now, 1);
    const expiresAt = now + ttlMs;
    this.#nonces.set(nonce, { expiresAt });
    this.#note(expiresAt);
    return true;
  }

  // Records

  async putRecord(key: string, value: unknown, ttlMs: number): Promise<void> {
    const now = this.#begin();
    positive('ttlMs', ttlMs);
    const copy = structuredClone(value);
    const existing = this.#live(this.#records, key, now);
    if (!existing) this.#ensureRoom(now, 1);
    // Versions keep increasing across puts, so a writer holding an older version cannot overwrite.
    this.#writeRecord(key, copy, (existing?.version ?? 0) + 1, now + ttlMs);
  }

  async getRecord<T = unknown>(key: string): Promise<{ value: T; version: number } | null> {
    const now = this.#begin();
    const record = this.#live(this.#records, key, now);
    return record ? { value: structuredClone(record.value) as T, version: record.version } : null;
  }

  async updateRecord(key: string, version: number, value: unknown, ttlMs: number): Promise<number | null> {
    const now = this.#begin();
    positive('ttlMs', ttlMs);
    const record = this.#live(this.#records, key, now);
    if (!record || record.version !== version) return null;
    this.#writeRecord(key, structuredClone(value), version + 1, now + ttlMs);
    return version + 1;
  }

  async listRecords<T = unknown>(prefix: string): Promise<Array<{ key: string; value: T; version: number }>> {
    const now = this.#begin();
    const found: Array<{ key: string; value: T; version: number }> = [];
    for (const [key, record] of this.#records) {
      if (key.startsWith(prefix) && record.expiresAt > now) {
        found.push({ key, value: structuredClone(record.value) as T, version: record.version });
      }
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Drops every entry. The store stays usable; fences keep increasing. */
  async close(): Promise<void> {
    for (const map of [this.#counters, this.#reservations, this.#settled, this.#kills, this.#slots])
      map.clear();
    for (const map of [this.#claims, this.#nonces, this.#records]) map.clear();
    this.#slotHolders = 0;
    this.#nextExpiry = Number.POSITIVE_INFINITY;
    this.#opsSinceSweep = 0;
  }

  // Internals

  /** Reads the clock once for the operation and runs the amortised sweep when due. */
  #begin(): number {
    const now = (this.#clock ?? this.#attached ?? systemClock).now();
    this.#opsSinceSweep += 1;
    if (this.#opsSinceSweep >= Math.max(SWEEP_EVERY_OPS, this.#size()) && now >= this.#nextExpiry) {
      this.#sweep(now);
    }
    return now;
  }

  #size(): number {
    return (
      this.#counters.size +
      this.#reservations.size +
      this.#settled.size +
      this.#kills.size +
      this.#slotHolders +
      this.#claims.size +
      this.#nonces.size +
      this.#records.size
    );
  }

  /**
   * Throws, before anything is written, when the entries an operation would add do not fit even
   * after a sweep. `needed` is counted again after the sweep, which may have dropped entries the
   * operation was going to reuse.
   */
  /** Room for `needed` more entries (a count, or a function counting them), sweeping if full; throws when none. */
  #ensureRoom(now: number, needed: number | (() => number)): void {
    if (this.#size() + (typeof needed === 'number' ? needed : needed()) <= this.#maxKeys) return;
    if (now >= this.#nextExpiry) this.#sweep(now);
    if (this.#size() + (typeof needed === 'number' ? needed : needed()) > this.#maxKeys) {
      throw new Error(
        `memoryStore: maxKeys (${this.#maxKeys}) reached and every entry is live ` +
          '(budget counters, reservations, idempotency claims, nonces, slots, kill flags, records); ' +
          'raise maxKeys or use a shared store such as redisStore()',
      );
    }
  }

  #note(expiresAt: number): void {
    if (expiresAt < this.#nextExpiry) this.#nextExpiry = expiresAt;
  }

  /** Drops every expired entry and empty counter; O(entries), so run only when due or full. */
  #sweep(now: number): void {
    let next = Number.POSITIVE_INFINITY;
    for (const [counterKey, counter] of this.#counters) {
      for (const [id, hold] of counter.holds) {
        if (hold.expiresAt <= now) counter.holds.delete(id);
        else next = Math.min(next, hold.expiresAt);
      }
      const expired = counter.expiresAt !== null && counter.expiresAt <= now;
      if (expired || (counter.used === 0 && counter.holds.size === 0)) this.#counters.delete(counterKey);
      else if (counter.expiresAt !== null) next = Math.min(next, counter.expiresAt);
    }
    for (const [key, holders] of this.#slots) {
      for (const [holder, expiresAt] of holders) {
        if (expiresAt <= now) {
          holders.delete(holder);
          this.#slotHolders -= 1;
        } else next = Math.min(next, expiresAt);
      }
      if (holders.size === 0) this.#slots.delete(key);
    }
    const tables: Array<Map<string, Expiring>> = [
      this.#reservations,
      this.#settled,
      this.#claims,
      this.#nonces,
      this.#records,
    ];
    for (const table of tables) {
      for (const [key, entry] of table) {
        if (entry.expiresAt <= now) table.delete(key);
        else next = Math.min(next, entry.expiresAt);
      }
    }
    this.#nextExpiry = next;
    this.#opsSinceSweep = 0;
  }

  /** The entry under `key` if it has not expired; an expired one is dropped. */
  #live<E extends Expiring>(table: Map<string, E>, key: string, now: number): E | undefined {
    const entry = table.get(key);
    if (!entry || entry.expiresAt > now) return entry;
    table.delete(key);
    return undefined;
  }

  #liveCounter(counterKey: string, now: number): Counter | undefined {
    const counter = this.#counters.get(counterKey);
    if (!counter || counter.expiresAt === null || counter.expiresAt > now) return counter;
    this.#counters.delete(counterKey);
    return undefined;
  }

  /** The counter for `counterKey`, created if missing. Callers have checked for room. */
  #counter(counterKey: string, end: number | null): Counter {
    let counter = this.#counters.get(counterKey);
    if (!counter) {
      const expiresAt = end === null ? null : end + WINDOW_GRACE_MS;
      counter = { used: 0, expiresAt, holds: new Map() };
      this.#counters.set(counterKey, counter);
      if (expiresAt !== null) this.#note(expiresAt);
    }
    return counter;
  }

  /** Returns a reservation's holds to its counters and forgets it. */
  #dropReservation(reservationId: string): void {
    const reservation = this.#reservations.get(reservationId);
    if (!reservation) return;
    this.#reservations.delete(reservationId);
    for (const counterKey of reservation.counters) {
      const counter = this.#counters.get(counterKey);
      if (!counter) continue;
      counter.holds.delete(reservationId);
      if (counter.used === 0 && counter.holds.size === 0) this.#counters.delete(counterKey);
    }
  }

  #liveHolders(key: string, now: number): Map<string, number> | undefined {
    const holders = this.#slots.get(key);
    if (!holders) return undefined;
    for (const [holder, expiresAt] of holders) {
      if (expiresAt <= now) {
        holders.delete(holder);
        this.#slotHolders -= 1;
      }
    }
    if (holders.size > 0) return holders;
    this.#slots.delete(key);
    return undefined;
  }

  /** The live in-flight claim under `key` if `owner` and `fence` still hold it. */
  #ownedClaim(key: string, owner: string, fence: number, now: number): ClaimEntry | undefined {
    const entry = this.#live(this.#claims, key, now);
    if (entry?.state === 'in_flight' && entry.owner === owner && entry.fence === fence) return entry;
    return undefined;
  }

  #writeRecord(key: string, value: unknown, version: number, expiresAt: number): void {
    this.#records.set(key, { value, version, expiresAt });
    this.#note(expiresAt);
  }
}

/** Sum of the live holds on a counter (expired ones are dropped), optionally ignoring one reservation. */
function reservedIn(counter: Counter, now: number, except?: string): number {
  let reserved = 0;
  for (const [id, hold] of counter.holds) {
    if (hold.expiresAt <= now) counter.holds.delete(id);
    else if (id !== except) reserved += hold.amount;
  }
  return reserved;
}

function checkItem(item: BudgetItem): void {
  nonNegative('amount', item.amount);
  if (typeof item.limit !== 'number' || Number.isNaN(item.limit)) {
    throw new Error(`memoryStore: limit must be a number, got ${String(item.limit)}`);
  }
}

function positive(name: string, ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new Error(`memoryStore: ${name} must be a positive number of milliseconds, got ${String(ms)}`);
  }
}

function nonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`memoryStore: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
}

/** What `fn` returned or threw, as a settled result. */
function settleNow<T>(fn: () => T): PromiseSettledResult<T> {
  try {
    return { status: 'fulfilled', value: fn() };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}
