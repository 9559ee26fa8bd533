import type { Clock } from '../internal/clock.js';

/**
 * Calendar windows for scoped budgets, in UTC. `'total'` never resets.
 * Weeks start on Monday 00:00 UTC (ISO 8601).
 */
export type BudgetWindow = 'hour' | 'day' | 'week' | 'month' | 'total';

/** One counter touched by a reservation or a settlement. */
export interface BudgetItem {
  /** Counter key without the window suffix, e.g. `user:t1:u1:costUsd`. The store appends the window. */
  key: string;
  window: BudgetWindow;
  /** Reservations are refused when `used + reserved + amount > limit`. */
  limit: number;
  /** Amount to reserve (may be 0: then only `used + reserved >= limit` refuses). */
  amount: number;
}

export interface ReserveRequest {
  /** Unique per reservation; used again to settle it. */
  reservationId: string;
  /** All or nothing: if one item is refused, nothing is reserved. */
  items: BudgetItem[];
  /** After this long an unsettled reservation is returned to the budget (crash safety). */
  leaseMs: number;
}

export type ReserveResult =
  | { ok: true }
  | {
      ok: false;
      /** Index in `items` of the first refused item. */
      index: number;
      used: number;
      reserved: number;
      limit: number;
    };

export interface SettleItem {
  key: string;
  window: BudgetWindow;
  /** The actual amount spent; added to `used`. */
  amount: number;
}

export interface SettleRequest {
  /** The reservation to remove. Settling an id that was never reserved only adds the amounts. */
  reservationId: string;
  items: SettleItem[];
}

export interface BudgetUsage {
  used: number;
  reserved: number;
}

export interface KillRecord {
  /** Scope key: `global`, `tenant:{id}`, `user:{id}` or `run:{id}`. */
  scope: string;
  reason?: string;
  at: number;
}

export interface SlotRequest {
  key: string;
  /** Who holds the slot (a run id). */
  holder: string;
  limit: number;
  /** The slot is freed after this long even if never released. */
  leaseMs: number;
}

/** What an idempotency key currently holds. */
export type IdempotencyClaim =
  | { status: 'claimed'; fence: number }
  | { status: 'in_flight'; fingerprint: string }
  | { status: 'completed'; fingerprint: string; record: IdempotencyRecord }
  | { status: 'indeterminate'; fingerprint: string; record: IdempotencyRecord };

export interface IdempotencyRecord {
  /** `ok`: `value` is the stored result. `error`: `error` is the stored permanent error. */
  outcome: 'ok' | 'error';
  value?: unknown;
  error?: { code: string; message: string; details?: unknown };
  completedAt: number;
  /**
   * Set by the store when the result was larger than its `maxResultBytes`: only `digest` and `size` of
   * the result were kept, without `value` / `error`. Such a record cannot be replayed; the call is not
   * run again either (it replays as a `tool_error` with `details.reason: 'replay_unavailable'`).
   */
  oversized?: boolean;
  /** Hex SHA-256 of the result's JSON, when `oversized`. */
  digest?: string;
  /** Size in bytes of the result's JSON (UTF-8), when `oversized`. */
  size?: number;
}

export interface ClaimRequest {
  key: string;
  /** Hash of tool + canonical args; a different fingerprint under the same key is a conflict. */
  fingerprint: string;
  /** Unique per claimer; only the owner can complete or release. */
  owner: string;
  /** The claim expires after this long (a crashed owner's claim). */
  leaseMs: number;
}

export interface CompleteRequest {
  key: string;
  owner: string;
  /** The fence returned by `claim`; a stale fence cannot complete. */
  fence: number;
  /** `completed` replays; `indeterminate` blocks re-execution until the TTL passes. */
  state: 'completed' | 'indeterminate';
  /**
   * The result to keep. A store keeps a result whose JSON is larger than its `maxResultBytes` as a
   * digest only (`oversized: true`, no `value` / `error`).
   */
  record: IdempotencyRecord;
  ttlMs: number;
}

export interface ReleaseRequest {
  key: string;
  owner: string;
  fence: number;
}

/**
 * The store work before a guarded call, sent together (see {@link Store.beforeCall}): the kill lookup,
 * the budget reservation and the idempotency claim, each as its own method would do it.
 */
export interface BeforeCallRequest {
  /** Kill scopes to look up, as {@link Store.findKill}. */
  killScopes?: string[];
  /** As {@link Store.reserve}. */
  reserve?: ReserveRequest;
  /** As {@link Store.claim}. */
  claim?: ClaimRequest;
}

/**
 * The answer of each part of a {@link BeforeCallRequest}, as its own promise (present for every part
 * requested): one part failing or answering late does not hold up or fail the others. Implementations
 * mark each promise handled (`promise.catch(() => {})`), as the caller may look at it a little later.
 */
export interface BeforeCallAnswers {
  kill?: Promise<KillRecord | null>;
  reserve?: Promise<ReserveResult>;
  claim?: Promise<IdempotencyClaim>;
}

/** The store work after a guarded call, sent together (see {@link Store.afterCall}). */
export interface AfterCallRequest {
  /** As {@link Store.settle}. */
  settle?: SettleRequest;
  /** As {@link Store.complete}. At most one of `complete` and `release`. */
  complete?: CompleteRequest;
  /** As {@link Store.release}. */
  release?: ReleaseRequest;
}

/** The answer of each part of an {@link AfterCallRequest}, as its own promise. */
export interface AfterCallAnswers {
  settle?: Promise<BudgetUsage[]>;
  complete?: Promise<boolean>;
  release?: Promise<boolean>;
}

/**
 * Shared state behind the guards. Every method is atomic. Implementations:
 * `memoryStore()` (one process) and `redisStore()` from `agent-warden/redis`.
 * Time-based behaviour (windows, leases, TTLs) uses the store's own clock.
 */
export interface Store {
  /**
   * When the store fails (throws or times out), write tools always fail closed
   * with `store_unavailable`; read tools go on only with `failOpen: { reads: true }`.
   */
  readonly failOpen?: { reads?: boolean };
  /** Called once by `createWarden` with the warden's clock; a store may keep its own. */
  attach?(options: { clock: Clock }): void;

  // Budgets
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /**
   * Remove the reservation and add the actual amounts (once per reservation id). Returns `used` and
   * `reserved` of each item's counter after settling, in item order — also when the id was already
   * settled (then nothing is added), so the caller needs no {@link Store.budgetUsage} afterwards.
   */
  settle(request: SettleRequest): Promise<BudgetUsage[]>;
  budgetUsage(items: Array<Pick<BudgetItem, 'key' | 'window'>>): Promise<BudgetUsage[]>;

  // Kill switch
  setKill(record: KillRecord): Promise<void>;
  clearKill(scope: string): Promise<void>;
  /** The first kill record found among `scopes`, or null. */
  findKill(scopes: string[]): Promise<KillRecord | null>;

  // Concurrency slots
  acquireSlot(request: SlotRequest): Promise<boolean>;
  releaseSlot(request: { key: string; holder: string }): Promise<void>;

  // Idempotency
  claim(request: ClaimRequest): Promise<IdempotencyClaim>;
  /** False when the owner or fence no longer matches (nothing written). */
  complete(request: CompleteRequest): Promise<boolean>;
  /** Drop a claim so the call can run again (validation failures, transient errors). */
  release(request: ReleaseRequest): Promise<boolean>;

  // Single-use values (approval-token nonces)
  /** True the first time a nonce is consumed, false ever after (until `ttlMs` passes). */
  consumeNonce(nonce: string, ttlMs: number): Promise<boolean>;

  // Records (pending approvals and other small documents), compare-and-set by version
  putRecord(key: string, value: unknown, ttlMs: number): Promise<void>;
  getRecord<T = unknown>(key: string): Promise<{ value: T; version: number } | null>;
  /** Writes only if the stored version equals `version`; returns the new version or null. */
  updateRecord(key: string, version: number, value: unknown, ttlMs: number): Promise<number | null>;
  /** Records whose key starts with `prefix`. */
  listRecords<T = unknown>(prefix: string): Promise<Array<{ key: string; value: T; version: number }>>;

  // Batches (optional): the store work of one guarded call in one round trip
  /**
   * Start every part of `request` — kill lookup, reservation, claim — at once, each with the semantics of
   * its own method (each part is atomic on its own; together they are not one transaction). Resolves as
   * soon as the parts are under way, with each part's answer as its own promise, so that a part that
   * fails or answers late neither fails nor holds up the others. Every part requested is attempted,
   * whatever another part answers: the caller undoes what it turns out not to need (it releases the claim
   * and settles the reservation with nothing spent when the run is killed or the budget refuses).
   *
   * The warden uses it for two parts or more (one part goes to its own method), and bounds each part by
   * `limits.storeTimeoutMs`, so a part that answered in time keeps its answer. Without it the warden
   * calls `findKill`, `reserve` and `claim` itself, all at once (the memory store's own implementation
   * does just that). `redisStore()` sends all parts in one pipeline.
   */
  beforeCall?(request: BeforeCallRequest): Promise<BeforeCallAnswers>;
  /**
   * Start `settle` and `complete` or `release` at once, each with the semantics of its own method, each
   * answered with its own promise, like {@link Store.beforeCall}. Without it the warden calls them
   * itself, all at once.
   */
  afterCall?(request: AfterCallRequest): Promise<AfterCallAnswers>;

  /** Release timers and connections. */
  close?(): Promise<void>;
}
