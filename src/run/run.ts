import type { EventIdentity } from '../audit/emitter.js';
import {
  type Amounts,
  type BudgetLevel,
  type Reservation,
  ScopedLedger,
  type ScopeRef,
} from '../budget/scoped.js';
import type { BudgetDimension, BudgetScope, StopDetails } from '../errors.js';
import { RunStop } from '../errors.js';
import type { ResolvedRunBudget } from '../options.js';
import { ATTR, SPAN_EVENT } from '../telemetry/attributes.js';
import type { SpanHandle } from '../telemetry/span.js';
import type { ToolOutcome } from '../tools/outcome.js';
import { runToolPipeline } from '../tools/pipeline.js';
import type { Attempt } from '../tools/resilience/attempts.js';
import { storeErrorEvent } from './before-call.js';
import type { WardenCore } from './core.js';
import { beginModelCall, callModel } from './model-call.js';
import type {
  ModelCallOptions,
  ModelSpec,
  PendingApproval,
  Run,
  RunUsage,
  ToolCallOptions,
  UsageInput,
} from './types.js';

export interface RunInit {
  id: string;
  userId: string | undefined;
  tenantId: string | undefined;
  sessionId: string | undefined;
  limits: ResolvedRunBudget;
  allowed: ReadonlySet<string> | null;
  approvals: readonly string[];
  scopes: ScopeRef[];
  span: SpanHandle;
  traceId: string;
  startedAt: number;
}

/** Mutable counters of a run. */
interface Counters {
  steps: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
}

const STOP_MESSAGES: Record<BudgetDimension, string> = {
  steps: 'model calls',
  toolCalls: 'tool calls',
  tokens: 'tokens',
  costUsd: 'cost (USD)',
  durationMs: 'run time (ms)',
};

/**
 * The state of one run and the checks every guard step makes. Model calls
 * and tool calls live in their own modules and act through this object.
 */
export class RunImpl implements Run {
  readonly id: string;
  readonly userId: string | undefined;
  readonly tenantId: string | undefined;
  readonly sessionId: string | undefined;
  readonly core: WardenCore;
  readonly limits: ResolvedRunBudget;
  readonly allowed: ReadonlySet<string> | null;
  readonly approvals: readonly string[];
  readonly scoped: ScopedLedger;
  readonly span: SpanHandle;
  readonly traceId: string;
  readonly startedAt: number;
  readonly identity: EventIdentity;
  readonly pending: PendingApproval[] = [];
  /** Kill scopes that apply to this run, most specific last. */
  readonly killScopes: string[];
  /** Free-form per-run state owned by pipeline steps (e.g. loop detection). */
  readonly stepState = new Map<string, unknown>();
  readonly #controller = new AbortController();
  #claims = 0;
  /** Tool attempts running now: a stop ends them at once (see tools/resilience/attempts.ts). */
  readonly inFlight = new Set<Attempt>();
  readonly #counters: Counters = {
    steps: 0,
    toolCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    costUsd: 0,
  };
  readonly #warned = new Set<string>();
  #stop: RunStop | null = null;
  #endedAt: number | null = null;

  constructor(core: WardenCore, init: RunInit) {
    this.core = core;
    this.id = init.id;
    this.userId = init.userId;
    this.tenantId = init.tenantId;
    this.sessionId = init.sessionId;
    this.limits = init.limits;
    this.allowed = init.allowed;
    this.approvals = init.approvals;
    this.scoped = new ScopedLedger(core.store, init.scopes);
    this.span = init.span;
    this.traceId = init.traceId;
    this.startedAt = init.startedAt;
    this.identity = {
      runId: init.id,
      userId: init.userId,
      tenantId: init.tenantId,
      sessionId: init.sessionId,
      traceId: init.traceId,
    };
    this.killScopes = ['global'];
    if (init.tenantId !== undefined) this.killScopes.push(`tenant:${init.tenantId}`);
    if (init.userId !== undefined) this.killScopes.push(`user:${init.userId}`);
    this.killScopes.push(`run:${init.id}`);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get usage(): RunUsage {
    return { ...this.#counters, durationMs: this.elapsedMs() };
  }

  /** The stop recorded for this run, if any. */
  get stopped(): RunStop | null {
    return this.#stop;
  }

  elapsedMs(): number {
    return Math.max(0, (this.#endedAt ?? this.core.clock.now()) - this.startedAt);
  }

  /** Freeze the run's duration (called when the run finishes). */
  markEnded(): void {
    this.#endedAt ??= this.core.clock.now();
  }

  // ---- public API --------------------------------------------------------

  model<T>(
    spec: ModelSpec,
    call: (signal: AbortSignal) => Promise<T>,
    options?: ModelCallOptions<T>,
  ): Promise<T> {
    return callModel(this, spec, call, options);
  }

  async recordUsage(spec: ModelSpec, usage: UsageInput): Promise<void> {
    const handle = await beginModelCall(this, spec, { precheck: false });
    await handle.end(usage, undefined);
  }

  /** @internal Numbers this run's idempotency claims (part of each claim's owner token). */
  nextClaimNumber(): number {
    this.#claims += 1;
    return this.#claims;
  }

  tool<T = unknown>(name: string, rawArgs: unknown, options?: ToolCallOptions): Promise<ToolOutcome<T>> {
    return runToolPipeline(this, name, rawArgs, options ?? {}) as Promise<ToolOutcome<T>>;
  }

  async check(): Promise<void> {
    this.checkLocal();
    let kill: Awaited<ReturnType<WardenCore['store']['findKill']>>;
    try {
      kill = await this.core.store.findKill(this.killScopes);
    } catch (error) {
      this.stop(
        { code: 'store_unavailable', operation: 'findKill' },
        'the shared store could not be read to check the kill switch; the run stops (fail closed)',
        error,
      );
    }
    this.afterKillLookup(kill);
  }

  /** The checks that need no store: recorded stop, duration, and ceilings passed after the fact. */
  checkLocal(): void {
    if (this.#stop) throw this.#stop;
    // A run handle kept after warden.run() returned must not run tools or models outside the run.
    if (this.#endedAt !== null) {
      this.stop(
        { code: 'aborted', reason: 'run finished' },
        'this run has already finished; make guarded calls inside warden.run() and await them before it returns',
      );
    }
    const elapsed = this.elapsedMs();
    if (elapsed >= this.limits.durationMs) {
      this.exceed('durationMs', 'run', this.limits.durationMs, elapsed);
    }
    const c = this.#counters;
    // Steps reported with recordUsage (no pre-check) can pass the limit; stop at the next check.
    if (c.steps > this.limits.steps) this.exceed('steps', 'run', this.limits.steps, c.steps);
    if (c.inputTokens + c.outputTokens > this.limits.tokens) {
      this.exceed('tokens', 'run', this.limits.tokens, c.inputTokens + c.outputTokens);
    }
    if (this.limits.costUsd !== undefined && c.costUsd > this.limits.costUsd) {
      this.exceed('costUsd', 'run', this.limits.costUsd, c.costUsd);
    }
  }

  /** Act on the result of a kill lookup (a stop may also have landed while it was awaited). */
  afterKillLookup(kill: Awaited<ReturnType<WardenCore['store']['findKill']>>): void {
    if (this.#stop) throw this.#stop;
    if (kill) throw this.kill(kill.scope, kill.reason);
  }

  // ---- stops -------------------------------------------------------------

  /** Record a stop (the first one wins), abort the run's signal, and throw it. */
  stop(details: StopDetails, message: string, cause?: unknown): never {
    throw this.halt(new RunStop({ details, message, cause }));
  }

  /** Record a stop without throwing (used by kill and abort listeners). Returns the recorded stop. */
  halt(stop: RunStop): RunStop {
    if (this.#stop) return this.#stop;
    this.#stop = stop;
    const d = stop.details;
    if (d.code === 'budget_exceeded') {
      this.core.audit.emit(this.identity, {
        type: 'budget_exceeded',
        dimension: d.dimension,
        scope: d.scope,
        limit: d.limit,
        used: d.used,
      });
      this.span.span.addEvent(SPAN_EVENT.BUDGET_EXCEEDED, {
        [ATTR.WARDEN_BUDGET_DIMENSION]: d.dimension,
        [ATTR.WARDEN_BUDGET_SCOPE]: d.scope,
        [ATTR.WARDEN_BUDGET_LIMIT]: d.limit,
        [ATTR.WARDEN_BUDGET_USED]: d.used,
      });
    } else if (d.code === 'killed') {
      this.core.audit.emit(this.identity, {
        type: 'killed',
        scope: d.scope,
        ...(d.reason ? { reason: d.reason } : {}),
      });
      this.span.span.addEvent(SPAN_EVENT.KILLED, { [ATTR.WARDEN_KILL_SCOPE]: d.scope });
    } else if (d.code === 'loop_detected') {
      this.core.audit.emit(this.identity, { type: 'loop_detected', tool: d.tool, repeats: d.repeats });
    }
    this.#controller.abort(stop);
    for (const attempt of this.inFlight) attempt.abort(stop);
    return stop;
  }

  /** Stop with `budget_exceeded`. */
  exceed(dimension: BudgetDimension, scope: BudgetScope, limit: number, used: number): never {
    const what = STOP_MESSAGES[dimension];
    this.stop(
      { code: 'budget_exceeded', dimension, scope, limit, used },
      `${scope} budget for ${what} exceeded: ${formatAmount(used)} used of ${formatAmount(limit)}`,
    );
  }

  /** Stop with `killed` (no throw). */
  kill(scope: string, reason: string | undefined): RunStop {
    return this.halt(
      new RunStop({
        details: { code: 'killed', scope, ...(reason ? { reason } : {}) },
        message: `run killed (${scope})${reason ? `: ${reason}` : ''}`,
      }),
    );
  }

  // ---- counters and warnings --------------------------------------------

  /** @internal */
  get counters(): Readonly<Counters> {
    return this.#counters;
  }

  /** Add to the run's counters and emit warnings for any run budget crossing `warnAt`. */
  add(amounts: Partial<Counters>): void {
    const c = this.#counters;
    for (const key in amounts) {
      const value = amounts[key as keyof Counters];
      if (value) c[key as keyof Counters] += value;
    }
    this.#warnRun('steps', c.steps, this.limits.steps);
    this.#warnRun('toolCalls', c.toolCalls, this.limits.toolCalls);
    this.#warnRun('tokens', c.inputTokens + c.outputTokens, this.limits.tokens);
    if (this.limits.costUsd !== undefined) this.#warnRun('costUsd', c.costUsd, this.limits.costUsd);
  }

  #warnRun(dimension: BudgetDimension, used: number, limit: number): void {
    this.warn('run', dimension, used, limit);
  }

  /** Emit a `budget_warning` once per scope and dimension when `used / limit >= warnAt`. */
  warn(scope: BudgetScope, dimension: BudgetDimension, used: number, limit: number): void {
    const ratio = limit === 0 ? 1 : used / limit;
    if (ratio < this.core.options.budgets.warnAt) return;
    const key = `${scope}:${dimension}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.core.audit.emit(this.identity, { type: 'budget_warning', dimension, scope, limit, used, ratio });
    this.span.span.addEvent(SPAN_EVENT.BUDGET_WARNING, {
      [ATTR.WARDEN_BUDGET_DIMENSION]: dimension,
      [ATTR.WARDEN_BUDGET_SCOPE]: scope,
      [ATTR.WARDEN_BUDGET_LIMIT]: limit,
      [ATTR.WARDEN_BUDGET_USED]: used,
    });
  }

  /** How long a reservation made for this run holds when it is never settled. */
  get leaseMs(): number {
    return this.limits.durationMs + 60_000;
  }

  /**
   * Count a tool call (or take one back) before its store checks have answered, so that concurrent calls
   * of the run see it; `add({})` emits the warnings once the call goes on.
   */
  countToolCall(delta: 1 | -1): void {
    this.#counters.toolCalls += delta;
  }

  /** Settle a scoped reservation with actual amounts; store errors are reported, not thrown. */
  async settleScoped(reservationId: string, reservation: Reservation | null, actual: Amounts): Promise<void> {
    if (this.scoped.empty) return;
    try {
      await this.warnScoped(await this.scoped.settle(reservationId, reservation, actual));
    } catch (error) {
      storeErrorEvent(this.span, 'settle', error);
    }
  }

  /**
   * Emit a `budget_warning` for each scoped budget at or past `warnAt` — once per window across runs
   * and processes, so only a level past the ratio costs a store call (a single-use marker).
   */
  async warnScoped(levels: BudgetLevel[]): Promise<void> {
    for (const level of levels) {
      const ratio = level.limit === 0 ? 1 : level.used / level.limit;
      if (ratio < this.core.options.budgets.warnAt) continue;
      if (await this.scoped.firstWarning(level.scope, level.dimension, this.core.clock.now())) {
        this.warn(level.scope, level.dimension, level.used, level.limit);
      }
    }
  }
}

function formatAmount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(6).replace(/0+$/, '');
}
