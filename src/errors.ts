/**
 * Errors thrown by agent-warden.
 *
 * One base class, `WardenError`, marked with a global symbol so that
 * `WardenError.isInstance(e)` holds across duplicate installs of the package.
 * Constructors take one object argument.
 */

const MARKER = Symbol.for('agent-warden.error');
const RUN_STOP_MARKER = Symbol.for('agent-warden.error.run-stop');
const CONFIG_MARKER = Symbol.for('agent-warden.error.config');

/** Codes of problems that end a run. */
export type StopCode =
  | 'budget_exceeded'
  | 'killed'
  | 'loop_detected'
  | 'aborted'
  | 'rate_limited'
  | 'usage_unavailable'
  | 'price_unknown'
  | 'approval_required'
  | 'store_unavailable';

/** Codes of problems returned to the loop as a `ToolOutcome` the model can act on. */
export type OutcomeCode =
  | 'tool_not_allowed'
  | 'invalid_arguments'
  | 'rule_violation'
  | 'approval_required'
  | 'approval_invalid'
  | 'idempotency_in_flight'
  | 'idempotency_conflict'
  | 'circuit_open'
  | 'tool_timeout'
  | 'tool_error'
  | 'invalid_output'
  | 'audit_unavailable'
  | 'store_unavailable';

export type WardenErrorCode = StopCode | 'config_error' | (string & {});

export interface WardenErrorOptions {
  code: WardenErrorCode;
  message: string;
  cause?: unknown;
}

export class WardenError extends Error {
  readonly [MARKER] = true;
  readonly code: WardenErrorCode;

  constructor({ code, message, cause }: WardenErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WardenError';
    this.code = code;
  }

  static isInstance(error: unknown): error is WardenError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** Budget dimensions a `budget_exceeded` stop can name. */
export type BudgetDimension = 'steps' | 'toolCalls' | 'tokens' | 'costUsd' | 'durationMs';
/** Scopes a budget applies to. */
export type BudgetScope = 'run' | 'session' | 'user' | 'tenant';

/** Details carried by a stop, by code. */
export type StopDetails =
  | { code: 'budget_exceeded'; dimension: BudgetDimension; scope: BudgetScope; limit: number; used: number }
  | { code: 'killed'; scope: string; reason?: string }
  | { code: 'loop_detected'; tool: string; repeats: number }
  | { code: 'aborted'; reason?: string }
  | { code: 'rate_limited'; limit: number; scope: 'user' }
  | { code: 'usage_unavailable'; model: string }
  | { code: 'price_unknown'; model: string }
  | { code: 'approval_required'; pendingId: string; tool: string }
  | { code: 'store_unavailable'; operation: string };

/** The `stop` object of a stopped `RunResult`. */
export type RunStopInfo = StopDetails & { message: string };

export interface RunStopOptions {
  details: StopDetails;
  message: string;
  cause?: unknown;
}

/**
 * Thrown inside a run when the run must end (budget exceeded, killed, loop
 * detected, aborted, ...). `warden.run()` turns it into a `RunResult` with
 * `status: 'stopped'`. Let it propagate: catching it does not keep the run alive.
 */
export class RunStop extends WardenError {
  readonly [RUN_STOP_MARKER] = true;
  declare readonly code: StopCode;
  readonly details: StopDetails;

  constructor({ details, message, cause }: RunStopOptions) {
    super({ code: details.code, message, cause });
    this.name = 'RunStop';
    this.details = details;
  }

  /** The stop as it appears in a `RunResult`. */
  toJSON(): RunStopInfo {
    return { ...this.details, message: this.message };
  }

  static override isInstance(error: unknown): error is RunStop {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[RUN_STOP_MARKER] === true
    );
  }
}

export interface WardenConfigErrorOptions {
  /** Dotted path of the offending option, e.g. `budgets.run.steps`. */
  path: string;
  message: string;
  cause?: unknown;
}

/** A bad option, a bad tool definition, or a bad argument to a warden method. */
export class WardenConfigError extends WardenError {
  readonly [CONFIG_MARKER] = true;
  readonly path: string;

  constructor({ path, message, cause }: WardenConfigErrorOptions) {
    super({ code: 'config_error', message: path ? `${path}: ${message}` : message, cause });
    this.name = 'WardenConfigError';
    this.path = path;
  }

  static override isInstance(error: unknown): error is WardenConfigError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[CONFIG_MARKER] === true
    );
  }
}
