import CircuitBreaker from 'opossum';
import { RunStop } from '../../errors.js';
import type { Clock } from '../../internal/clock.js';
import type { BreakerOptions } from '../define-tool.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** What runs through a breaker: a function of the call and the attempt number. */
type Attempted = (context: unknown, attempt: number) => Promise<unknown>;

/** Thrown (never to the model) when a breaker refuses a call. */
export class BreakerOpenError extends Error {
  readonly key: string;
  readonly retryAfterMs: number;

  constructor(key: string, retryAfterMs: number) {
    super(`circuit '${key}' is open`);
    this.name = 'BreakerOpenError';
    this.key = key;
    this.retryAfterMs = retryAfterMs;
  }
}

/** opossum's reset timer never fires: the reset is timed on the warden's clock here. */
const NEVER = 2_147_483_647;

/** An error that says nothing about the dependency's health (the run stopped, the caller aborted). */
function isNeutral(error: unknown): boolean {
  return RunStop.isInstance(error) || (error instanceof Error && error.name === 'AbortError');
}

/**
 * A circuit breaker for one downstream dependency.
 *
 * opossum keeps the rolling error statistics and decides when to open; this
 * class owns the state machine so that
 * - the reset (open → half-open) is timed on the warden's clock (a manual clock in tests),
 * - in half-open exactly one trial call runs, and only its result closes or reopens
 *   the circuit: a call that started before the circuit opened cannot close it,
 * - no abort controller is shared between calls (each attempt has its own signal),
 * - `shutdown()` clears opossum's timers so nothing keeps the process alive.
 */
export class Breaker {
  // The transition listener learns which call caused a transition through #context,
  // set synchronously just before the code that may transition.
  readonly key: string;
  readonly options: Required<BreakerOptions>;
  #state: BreakerState = 'closed';
  #openedAt = 0;
  #trialInFlight = false;
  #cb: CircuitBreaker<[Attempted, unknown, number], unknown>;
  readonly #clock: Clock;
  readonly #onTransition: (key: string, state: BreakerState, context: unknown) => void;
  #context: unknown;

  constructor(
    options: Required<BreakerOptions>,
    clock: Clock,
    onTransition: (key: string, state: BreakerState, context: unknown) => void,
  ) {
    this.key = options.key;
    this.options = options;
    this.#clock = clock;
    this.#onTransition = onTransition;
    this.#cb = this.#create();
  }

  /** A new opossum breaker: closed, with an empty rolling window. */
  #create(): CircuitBreaker<[Attempted, unknown, number], unknown> {
    const { options } = this;
    // The second argument (the call) rides along so the failure that opens the circuit is attributed to it.
    const cb = new CircuitBreaker(
      (fn: Attempted, context: unknown, attempt: number) => fn(context, attempt),
      {
        timeout: false,
        resetTimeout: NEVER,
        errorThresholdPercentage: options.errorThresholdPercentage,
        volumeThreshold: options.volumeThreshold,
        rollingCountTimeout: options.rollingWindowMs,
        rollingCountBuckets: 10,
        enableSnapshots: false,
        // Only counts decide; latency percentiles would cost an array push per call for nothing.
        rollingPercentilesEnabled: false,
        errorFilter: (error: unknown) => isNeutral(error),
      },
    );
    // opossum emits 'failure' synchronously just before it may emit 'open': remember whose failure it was,
    // since overlapping calls may have set #context since this one started.
    cb.on('failure', (_error: unknown, _latencyMs: number, args: unknown[]) => {
      this.#context = args[1];
    });
    cb.on('open', () => {
      if (this.#state === 'closed') this.#open();
    });
    return cb;
  }

  /** The current state, moving open → half-open once the reset time has passed on the clock. */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#clock.now() - this.#openedAt >= this.options.resetTimeoutMs) {
      this.#set('half_open');
    }
    return this.#state;
  }

  /** Milliseconds until a trial call will be let through (0 when not open). */
  get retryAfterMs(): number {
    if (this.state !== 'open') return this.#trialInFlight ? 1_000 : 0;
    return Math.max(0, this.#openedAt + this.options.resetTimeoutMs - this.#clock.now());
  }

  /** The state as seen by a caller; `context` reaches the transition listener. */
  stateFor(context: unknown): BreakerState {
    this.#context = context;
    return this.state;
  }

  /**
   * Run `fn(context, attempt)` through the breaker; rejects with `BreakerOpenError` without calling it
   * when open. `context` (the tool call) reaches the transition listener for transitions this call
   * causes. (`fn` gets its arguments passed through, so a call needs no closure.)
   */
  run<C, T>(fn: (context: C, attempt: number) => Promise<T>, context: C, attempt: number): Promise<T> {
    this.#context = context;
    const state = this.state;
    if (state === 'open') return Promise.reject(new BreakerOpenError(this.key, this.retryAfterMs));
    // Closed: opossum counts the call; nothing of this class's state changes with its result.
    if (state === 'closed') return this.#cb.fire(fn as Attempted, context, attempt) as Promise<T>;
    return this.#trial(fn as Attempted, context, attempt) as Promise<T>;
  }

  /** Half-open: the one trial call, whose result alone closes or reopens the circuit. */
  async #trial(fn: Attempted, context: unknown, attempt: number): Promise<unknown> {
    if (this.#trialInFlight) throw new BreakerOpenError(this.key, this.retryAfterMs);
    this.#trialInFlight = true;
    this.#cb.close(); // let opossum fire the trial call
    try {
      const value = await this.#cb.fire(fn, context, attempt);
      this.#context = context;
      this.#trialInFlight = false;
      this.#set('closed');
      return value;
    } catch (error) {
      this.#context = context;
      this.#trialInFlight = false;
      if (isNeutral(error)) {
        this.#cb.open();
      } else {
        this.#open();
      }
      throw error;
    }
  }

  #open(): void {
    this.#openedAt = this.#clock.now();
    this.#cb.open();
    this.#set('open');
  }

  #set(state: BreakerState): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state === 'closed') {
      // A fresh rolling window: the failures that opened the circuit must not reopen it at the next failure
      // (opossum keeps its statistics across close()). Calls still in flight settle on the old instance.
      this.#cb.shutdown();
      this.#cb = this.#create();
    }
    this.#onTransition(this.key, state, this.#context);
  }

  shutdown(): void {
    this.#cb.shutdown();
  }
}
