import type { Cluster, Redis } from 'ioredis';
import { WardenConfigError } from '../errors.js';
import { boundRecord, DEFAULT_MAX_RESULT_BYTES, maxResultBytesProblem } from '../store/result-size.js';
import type {
  BudgetItem,
  BudgetUsage,
  BudgetWindow,
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
} from '../store/types.js';
import { KeyLayout } from './keys.js';
import { commandName, SCRIPTS, type ScriptName } from './scripts/index.js';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis client (`new Redis(...)` or `new Cluster(...)`), owned by the caller: the store never
   * connects or quits it. Recommended options (see docs/redis.md): `enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 0`, a `commandTimeout` below `limits.storeTimeoutMs`, and a `retryStrategy`.
   */
  client: Redis | Cluster;
  /**
   * Prefix of every key, inside each key's hash tag (`{aw:b:user:t1:u1}:costUsd:day`). Give each
   * application (or test) sharing one Redis its own prefix. Must not contain `{` or `}`.
   * @default 'aw'
   */
  prefix?: string;
  /**
   * Largest idempotency result kept in full, in bytes of its JSON. A larger result is kept as a SHA-256
   * digest (`oversized: true`): the call replays as `tool_error` with `details.reason:
   * 'replay_unavailable'` and is never run again.
   * @default 262_144 (256 KiB)
   */
  maxResultBytes?: number;
  /**
   * Passed through as the store's `failOpen`: with `{ reads: true }`, read tools go on when Redis is
   * unavailable. Write tools always fail closed with `store_unavailable`.
   * @default undefined (everything fails closed)
   */
  failOpen?: { reads?: boolean };
}

type ScriptFn = (numberOfKeys: number, ...args: string[]) => Promise<unknown>;

const WINDOWS: ReadonlySet<string> = new Set<BudgetWindow>(['hour', 'day', 'week', 'month', 'total']);
/** Reservation ids remembered in this process (to settle every counter they hold), at most. */
const MAX_REMEMBERED = 10_000;

/** One budget scope's part of a reserve, settle or usage request. */
interface TagGroup {
  tag: string;
  /** Positions of the group's items in the request. */
  indices: number[];
  counters: string[];
  windows: BudgetWindow[];
}

interface Remembered {
  expiresAt: number;
  /** Counter key → its window, for every counter the reservation holds. */
  counters: Map<string, { tag: string; window: BudgetWindow }>;
}

/**
 * A {@link Store} on Redis (ioredis), for several processes or machines sharing budgets, kill flags,
 * idempotency keys, approvals and concurrency slots.
 *
 * Every read-modify-write is one Lua script (`EVALSHA`, with `EVAL` when the server does not have it
 * yet: ioredis `defineCommand`), reading time from the server (`TIME`), with every key in `KEYS` under a
 * hash tag per scope, so it runs on Redis Cluster. Each method is one round trip; a budget request that
 * spans several scopes runs one script per scope, concurrently (see docs/redis.md).
 *
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisStore } from 'agent-warden/redis';
 *
 * const client = new Redis(process.env.REDIS_URL!, {
 *   enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1_000,
 *   retryStrategy: (times) => Math.min(times * 100, 2_000),
 * });
 * const warden = createWarden({ store: redisStore({ client }), ... });
 * ```
 */
export function redisStore(options: RedisStoreOptions): Store {
  if (typeof options !== 'object' || options === null) {
    throw new WardenConfigError({ path: 'redisStore', message: 'expected { client, prefix? }' });
  }
  const { client } = options;
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof (client as { defineCommand?: unknown }).defineCommand !== 'function'
  ) {
    throw new WardenConfigError({
      path: 'redisStore.client',
      message: "expected an ioredis client (new Redis(...) or new Cluster(...) from 'ioredis')",
    });
  }
  const prefix = options.prefix ?? 'aw';
  if (typeof prefix !== 'string' || prefix.length === 0 || /[{}]/.test(prefix)) {
    throw new WardenConfigError({
      path: 'redisStore.prefix',
      message: `expected a non-empty string without '{' or '}', got ${JSON.stringify(prefix)}`,
    });
  }
  const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const problem = maxResultBytesProblem(maxResultBytes);
  if (problem) throw new WardenConfigError({ path: 'redisStore.maxResultBytes', message: problem });
  const failOpen = options.failOpen;
  if (failOpen !== undefined && (typeof failOpen !== 'object' || failOpen === null)) {
    throw new WardenConfigError({ path: 'redisStore.failOpen', message: 'expected { reads?: boolean }' });
  }
  return new RedisStore(client, new KeyLayout(prefix), maxResultBytes, failOpen);
}

class RedisStore implements Store {
  readonly failOpen: { reads?: boolean } | undefined;
  readonly #client: Redis | Cluster;
  readonly #keys: KeyLayout;
  readonly #maxResultBytes: number;
  readonly #scripts: Record<ScriptName, ScriptFn>;
  /** Counters held by reservations made here, so `settle` can free all of them in one round trip. */
  readonly #held = new Map<string, Remembered>();

  constructor(
    client: Redis | Cluster,
    keys: KeyLayout,
    maxResultBytes: number,
    failOpen: { reads?: boolean } | undefined,
  ) {
    this.#client = client;
    this.#keys = keys;
    this.#maxResultBytes = maxResultBytes;
    this.failOpen = failOpen ? { ...failOpen } : undefined;
    const commands = client as unknown as Record<string, ScriptFn | undefined>;
    const scripts = {} as Record<ScriptName, ScriptFn>;
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      const command = commandName(name);
      // Named after the script's hash: an existing command of that name is this very script.
      if (typeof commands[command] !== 'function') client.defineCommand(command, { lua: SCRIPTS[name] });
      scripts[name] = (...args) => (commands[command] as ScriptFn).apply(client, args);
    }
    this.#scripts = scripts;
  }

  /** Time comes from the Redis server, so the warden's clock is not used. */
  attach(): void {}

  #run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.#scripts[name](keys.length, ...keys, ...args.map(String));
  }

  // Budgets

  async reserve({ reservationId, items, leaseMs }: ReserveRequest): Promise<ReserveResult> {
    const lease = durationMs('leaseMs', leaseMs);
    for (const item of items) checkItem(item);
    const groups = groupByTag(
      items.map((item) => ({ ...this.#keys.budget(item.key, item.window), ...item })),
    );
    const attempts = await Promise.allSettled(
      groups.map((group) =>
        this.#run(
          'reserve',
          [this.#keys.reservation(group.tag, reservationId), ...group.counters],
          [
            reservationId,
            lease,
            ...group.indices.flatMap((i) => {
              const item = items[i]!;
              return [item.window, encodeLimit(item.limit), item.amount];
            }),
          ],
        ),
      ),
    );
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
      granted.map((group) =>
        this.#run(
          'unreserve',
          [this.#keys.reservation(group.tag, reservationId), ...group.counters],
          [reservationId, ...group.windows],
        ),
      ),
    );
    if (refusal) return refusal;
    throw failure!.error;
  }

  async settle({ reservationId, items }: SettleRequest): Promise<void> {
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
    if (groups.length === 0) return;
    this.#held.delete(reservationId);
    try {
      await Promise.all(
        groups.map((group) =>
          this.#run(
            'settle',
            [
              this.#keys.reservation(group.tag, reservationId),
              this.#keys.settled(group.tag, reservationId),
              ...group.counters,
            ],
            [reservationId, ...group.indices.flatMap((i) => [all[i]!.window, all[i]!.amount])],
          ),
        ),
      );
    } catch (error) {
      // Scopes that did settle will not settle twice; the others may be settled again later.
      if (remembered) this.#held.set(reservationId, remembered);
      throw error;
    }
  }

  async budgetUsage(items: Array<Pick<BudgetItem, 'key' | 'window'>>): Promise<BudgetUsage[]> {
    for (const item of items) checkWindow(item.window);
    const groups = groupByTag(
      items.map((item) => ({ ...this.#keys.budget(item.key, item.window), ...item })),
    );
    const replies = await Promise.all(
      groups.map((group) => this.#run('usage', group.counters, group.windows) as Promise<string[]>),
    );
    const usage: BudgetUsage[] = new Array(items.length);
    for (const [g, group] of groups.entries()) {
      const reply = replies[g]!;
      for (const [j, index] of group.indices.entries()) {
        usage[index] = { used: Number(reply[2 * j]), reserved: Number(reply[2 * j + 1]) };
      }
    }
    return usage;
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

  // Kill switch

  async setKill(record: KillRecord): Promise<void> {
    const json = JSON.stringify({
      scope: record.scope,
      ...(record.reason !== undefined ? { reason: record.reason } : {}),
      at: record.at,
    });
    await this.#client.hset(this.#keys.kills(), record.scope, json);
  }

  async clearKill(scope: string): Promise<void> {
    await this.#client.hdel(this.#keys.kills(), scope);
  }

  async findKill(scopes: string[]): Promise<KillRecord | null> {
    if (scopes.length === 0) return null;
    const found = await this.#client.hmget(this.#keys.kills(), ...scopes);
    const first = found.find((value) => value !== null && value !== undefined);
    return first ? (JSON.parse(first) as KillRecord) : null;
  }

  // Concurrency slots

  async acquireSlot({ key, holder, limit, leaseMs }: SlotRequest): Promise<boolean> {
    const lease = durationMs('leaseMs', leaseMs);
    if (typeof limit !== 'number' || Number.isNaN(limit)) {
      throw new Error(`redisStore: limit must be a number, got ${String(limit)}`);
    }
    const reply = await this.#run('acquireSlot', [this.#keys.slot(key)], [holder, encodeLimit(limit), lease]);
    return Number(reply) === 1;
  }

  async releaseSlot({ key, holder }: { key: string; holder: string }): Promise<void> {
    await this.#client.zrem(this.#keys.slot(key), holder);
  }

  // Idempotency

  async claim({ key, fingerprint, owner, leaseMs }: ClaimRequest): Promise<IdempotencyClaim> {
    const lease = durationMs('leaseMs', leaseMs);
    const reply = (await this.#run(
      'claim',
      [this.#keys.claim(key)],
      [fingerprint, owner, lease],
    )) as string[];
    const [status, first, record] = reply;
    if (status === 'claimed') return { status, fence: Number(first) };
    if (status === 'in_flight') return { status, fingerprint: first! };
    if (status === 'completed' || status === 'indeterminate') {
      return { status, fingerprint: first!, record: JSON.parse(record!) as IdempotencyRecord };
    }
    throw new Error(`redisStore: unexpected claim reply ${JSON.stringify(reply)}`);
  }

  async complete({ key, owner, fence, state, record, ttlMs }: CompleteRequest): Promise<boolean> {
    const ttl = durationMs('ttlMs', ttlMs);
    const json = JSON.stringify(boundRecord(record, this.#maxResultBytes));
    const reply = await this.#run(
      'complete',
      [this.#keys.claim(key)],
      [owner, fenceText(fence), state === 'completed' ? 'c' : 'i', json, ttl],
    );
    return Number(reply) === 1;
  }

  async release({ key, owner, fence }: ReleaseRequest): Promise<boolean> {
    const reply = await this.#run('release', [this.#keys.claim(key)], [owner, fenceText(fence)]);
    return Number(reply) === 1;
  }

  // Nonces

  async consumeNonce(nonce: string, ttlMs: number): Promise<boolean> {
    const ttl = durationMs('ttlMs', ttlMs);
    const reply = await this.#client.set(this.#keys.nonce(nonce), '1', 'PX', ttl, 'NX');
    return reply === 'OK';
  }

  // Records

  async putRecord(key: string, value: unknown, ttlMs: number): Promise<void> {
    const ttl = durationMs('ttlMs', ttlMs);
    await this.#run('putRecord', this.#keys.records(), [key, toJson(value), ttl]);
  }

  async getRecord<T = unknown>(key: string): Promise<{ value: T; version: number } | null> {
    const raw = (await this.#run('getRecord', this.#keys.records(), [key])) as string | null;
    return raw === null || raw === undefined ? null : parseRecord<T>(raw);
  }

  async updateRecord(key: string, version: number, value: unknown, ttlMs: number): Promise<number | null> {
    const ttl = durationMs('ttlMs', ttlMs);
    if (!Number.isInteger(version)) return null;
    const reply = await this.#run('updateRecord', this.#keys.records(), [key, version, toJson(value), ttl]);
    return reply === null || reply === undefined ? null : Number(reply);
  }

  async listRecords<T = unknown>(prefix: string): Promise<Array<{ key: string; value: T; version: number }>> {
    const reply = (await this.#run('listRecords', this.#keys.records(), [prefix])) as string[];
    const found: Array<{ key: string; value: T; version: number }> = [];
    for (let i = 0; i < reply.length; i += 2)
      found.push({ key: reply[i]!, ...parseRecord<T>(reply[i + 1]!) });
    return found;
  }

  /** Forgets what this process remembers; the client belongs to the caller, who quits it. */
  async close(): Promise<void> {
    this.#held.clear();
  }
}

/** Items grouped by budget scope (hash tag), in order of first appearance. */
function groupByTag(entries: Array<{ tag: string; counter: string; window: BudgetWindow }>): TagGroup[] {
  const groups = new Map<string, TagGroup>();
  for (const [index, { tag, counter, window }] of entries.entries()) {
    let group = groups.get(tag);
    if (!group) {
      group = { tag, indices: [], counters: [], windows: [] };
      groups.set(tag, group);
    }
    group.indices.push(index);
    group.counters.push(counter);
    group.windows.push(window);
  }
  return [...groups.values()];
}

function parseRecord<T>(raw: string): { value: T; version: number } {
  const cut = raw.indexOf(':');
  return { version: Number(raw.slice(0, cut)), value: JSON.parse(raw.slice(cut + 1)) as T };
}

/** Records are stored as JSON; a value JSON cannot represent is refused before anything is written. */
function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined)
    throw new Error(`redisStore: a record must be JSON-serialisable, got ${typeof value}`);
  return json;
}

function encodeLimit(limit: number): string {
  if (Number.isFinite(limit)) return String(limit);
  return limit > 0 ? 'inf' : '-inf';
}

function fenceText(fence: number): string {
  return Number.isSafeInteger(fence) ? String(fence) : 'invalid';
}

function checkWindow(window: unknown): void {
  if (typeof window !== 'string' || !WINDOWS.has(window)) {
    throw new Error(`redisStore: unknown budget window ${JSON.stringify(window)}`);
  }
}

function checkItem(item: BudgetItem): void {
  nonNegative('amount', item.amount);
  checkWindow(item.window);
  if (typeof item.limit !== 'number' || Number.isNaN(item.limit)) {
    throw new Error(`redisStore: limit must be a number, got ${String(item.limit)}`);
  }
}

/** A positive duration, rounded up to whole milliseconds (Redis counts in ms). */
function durationMs(name: string, ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new Error(`redisStore: ${name} must be a positive number of milliseconds, got ${String(ms)}`);
  }
  return Math.ceil(ms);
}

function nonNegative(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`redisStore: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
}
