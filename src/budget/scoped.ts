import type { BudgetDimension, BudgetScope } from '../errors.js';
import { WardenConfigError } from '../errors.js';
import type { ResolvedScopedBudget, ScopeName } from '../options.js';
import type {
  BudgetItem,
  BudgetUsage,
  ReserveRequest,
  ReserveResult,
  SettleRequest,
  Store,
} from '../store/types.js';
import { windowBounds } from '../store/windows.js';

/** Dimensions a scoped budget can limit. */
export type ScopedDimension = Exclude<BudgetDimension, 'durationMs'>;
export const SCOPED_DIMENSIONS: readonly ScopedDimension[] = ['steps', 'toolCalls', 'tokens', 'costUsd'];

export type Amounts = Partial<Record<ScopedDimension, number>>;

/** One scoped budget that applies to a run: e.g. user u1 of tenant t1, daily. */
export interface ScopeRef {
  scope: ScopeName;
  /** Store key prefix, e.g. `user:t1:u1`. */
  key: string;
  budget: ResolvedScopedBudget;
}

export interface ScopeIdentity {
  userId: string | undefined;
  tenantId: string | undefined;
  sessionId: string | undefined;
}

const enc = (value: string | undefined) => (value === undefined ? '-' : encodeURIComponent(value));

/**
 * The scoped budgets a run is subject to. User and tenant budgets need the
 * ids: a run without them would escape the budget, so that is refused.
 * Session budgets apply only to runs that name a session.
 */
export function scopesFor(
  budgets: Partial<Record<ScopeName, ResolvedScopedBudget>>,
  id: ScopeIdentity,
): ScopeRef[] {
  const scopes: ScopeRef[] = [];
  if (budgets.session && id.sessionId !== undefined) {
    scopes.push({
      scope: 'session',
      key: `session:${enc(id.tenantId)}:${enc(id.sessionId)}`,
      budget: budgets.session,
    });
  }
  if (budgets.user) {
    if (id.userId === undefined) {
      throw new WardenConfigError({
        path: 'run.userId',
        message:
          'budgets.user is configured, so every run needs a userId (pass it to warden.run({ userId }))',
      });
    }
    scopes.push({ scope: 'user', key: `user:${enc(id.tenantId)}:${enc(id.userId)}`, budget: budgets.user });
  }
  if (budgets.tenant) {
    if (id.tenantId === undefined) {
      throw new WardenConfigError({
        path: 'run.tenantId',
        message:
          'budgets.tenant is configured, so every run needs a tenantId (pass it to warden.run({ tenantId }))',
      });
    }
    scopes.push({ scope: 'tenant', key: `tenant:${enc(id.tenantId)}`, budget: budgets.tenant });
  }
  return scopes;
}

/** A refused reservation: which budget would be passed. */
export interface Refusal {
  scope: BudgetScope;
  dimension: ScopedDimension;
  limit: number;
  used: number;
}

interface ItemRef {
  scope: ScopeRef;
  dimension: ScopedDimension;
}

/** A granted reservation, settled later with the actual amounts. */
export interface Reservation {
  id: string;
  refs: ItemRef[];
}

/** A reservation to ask the store for, and the reservation it is once granted. */
export interface ReservePlan {
  request: ReserveRequest;
  reservation: Reservation;
}

/** A settlement to send to the store, and how to read its answer. */
export interface SettlePlan {
  request: SettleRequest;
  refs: ItemRef[];
}

/** A scoped budget's level after a settlement. */
export interface BudgetLevel {
  scope: BudgetScope;
  dimension: ScopedDimension;
  limit: number;
  used: number;
}

/** Reserve and settle amounts against every scoped budget of one run. */
export class ScopedLedger {
  readonly #store: Store;
  readonly #scopes: ScopeRef[];
  readonly #warned = new Set<string>();

  constructor(store: Store, scopes: ScopeRef[]) {
    this.#store = store;
    this.#scopes = scopes;
  }

  get empty(): boolean {
    return this.#scopes.length === 0;
  }

  /** Whether any scope limits `dimension`. */
  limits(dimension: ScopedDimension): boolean {
    return this.#scopes.some((s) => s.budget[dimension] !== undefined);
  }

  #refs(dimensions: readonly ScopedDimension[]): ItemRef[] {
    const refs: ItemRef[] = [];
    for (const scope of this.#scopes) {
      for (const dimension of dimensions) {
        if (scope.budget[dimension] !== undefined) refs.push({ scope, dimension });
      }
    }
    return refs;
  }

  /**
   * The store request that reserves `amounts` (an amount of 0 still refuses a budget that is used up).
   * Null when no scoped budget limits these dimensions.
   */
  plan(reservationId: string, amounts: Amounts, leaseMs: number): ReservePlan | null {
    const refs = this.#refs(Object.keys(amounts) as ScopedDimension[]);
    if (refs.length === 0) return null;
    const items: BudgetItem[] = refs.map(({ scope, dimension }) => ({
      key: `${scope.key}:${dimension}`,
      window: scope.budget.window,
      limit: scope.budget[dimension] as number,
      amount: amounts[dimension] ?? 0,
    }));
    return { request: { reservationId, items, leaseMs }, reservation: { id: reservationId, refs } };
  }

  /** Which budget a refused reservation would have passed. */
  refusal(plan: ReservePlan, result: Extract<ReserveResult, { ok: false }>): Refusal {
    const ref = plan.reservation.refs[result.index]!;
    return {
      scope: ref.scope.scope,
      dimension: ref.dimension,
      limit: result.limit,
      used: result.used + result.reserved,
    };
  }

  /**
   * The store request that settles a reservation (or, with `reservation` null, adds) with the actual
   * amounts (missing dimensions count 0). Null when no scoped budget applies.
   */
  settlement(reservationId: string, reservation: Reservation | null, actual: Amounts): SettlePlan | null {
    const refs = reservation?.refs ?? this.#refs(Object.keys(actual) as ScopedDimension[]);
    if (refs.length === 0) return null;
    const items = refs.map(({ scope, dimension }) => ({
      key: `${scope.key}:${dimension}`,
      window: scope.budget.window,
      amount: actual[dimension] ?? 0,
    }));
    return { request: { reservationId, items }, refs };
  }

  /** The budgets' levels from what the store answered to a settlement. */
  levels(plan: SettlePlan, usage: BudgetUsage[]): BudgetLevel[] {
    return plan.refs.map((ref, i) => ({
      scope: ref.scope.scope,
      dimension: ref.dimension,
      limit: ref.scope.budget[ref.dimension] as number,
      used: usage[i]?.used ?? 0,
    }));
  }

  /** Settle a reservation (or add) and return the budgets' levels afterwards (one store round trip). */
  async settle(
    reservationId: string,
    reservation: Reservation | null,
    actual: Amounts,
  ): Promise<BudgetLevel[]> {
    const plan = this.settlement(reservationId, reservation, actual);
    if (!plan) return [];
    return this.levels(plan, await this.#store.settle(plan.request));
  }

  /**
   * True the first time, in the current window, that a scoped budget crosses
   * the warning ratio — across runs and processes (a single-use marker in the store).
   */
  async firstWarning(scope: BudgetScope, dimension: ScopedDimension, now: number): Promise<boolean> {
    const ref = this.#scopes.find((s) => s.scope === scope);
    if (!ref) return false;
    const key = `${scope}:${dimension}`;
    if (this.#warned.has(key)) return false;
    this.#warned.add(key);
    const bounds = windowBounds(ref.budget.window, now);
    const ttlMs = bounds.end === null ? 366 * 86_400_000 : Math.max(1, bounds.end - now) + 60_000;
    return this.#store.consumeNonce(`budget-warning:${ref.key}:${dimension}:${bounds.id}`, ttlMs);
  }
}
