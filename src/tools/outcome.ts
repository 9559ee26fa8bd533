import type { OutcomeCode } from '../errors.js';

/** Why a tool call did not produce a value. */
export interface ToolOutcomeError {
  code: OutcomeCode;
  /** Written for the model: what went wrong and what to do next. */
  message: string;
  /** True when the same call may succeed later without changes. */
  retryable: boolean;
  details?: Record<string, unknown>;
}

import type { PendingApproval } from '../run/types.js';

/** The pending approval a call created. */
export type PendingRef = PendingApproval;

interface OutcomeMethods {
  /** Compact text to hand back to the model as the tool result. */
  forModel(): string;
}

export type ToolOutcomeOk<T = unknown> = OutcomeMethods & {
  readonly ok: true;
  readonly value: T;
  /** True when the value is a stored result of an earlier identical call (the tool did not run again). */
  readonly replayed: boolean;
  readonly callId: string;
  /** True when the value came from the tool's `fallback` because its breaker was open. */
  readonly fallback?: boolean;
};

export type ToolOutcomeFailure = OutcomeMethods & {
  readonly ok: false;
  readonly error: ToolOutcomeError;
  readonly callId: string;
  readonly pending?: PendingRef;
};

/** What `run.tool()` returns: a value, or a problem the model can fix or route around. */
export type ToolOutcome<T = unknown> = ToolOutcomeOk<T> | ToolOutcomeFailure;

/**
 * Outcomes are frozen instances of two small classes: `forModel` lives on the prototype (not an own,
 * enumerable property), so an outcome serialises to its data and costs one allocation.
 */
class OkOutcome<T> {
  declare readonly ok: true;
  declare readonly value: T;
  declare readonly replayed: boolean;
  declare readonly callId: string;
  declare readonly fallback?: boolean;

  constructor(value: T, callId: string, replayed: boolean, fallback: boolean) {
    const self = this as { -readonly [K in keyof OkOutcome<T>]: OkOutcome<T>[K] };
    self.ok = true;
    self.value = value;
    self.replayed = replayed;
    self.callId = callId;
    if (fallback) self.fallback = true;
    Object.freeze(this);
  }

  forModel(): string {
    if (typeof this.value === 'string') return this.value;
    try {
      return JSON.stringify(this.value) ?? 'null';
    } catch {
      return '"[unserialisable result]"';
    }
  }
}

class FailureOutcome {
  declare readonly ok: false;
  declare readonly error: ToolOutcomeError;
  declare readonly callId: string;
  declare readonly pending?: PendingRef;

  constructor(error: ToolOutcomeError, callId: string, pending: PendingRef | undefined) {
    const self = this as { -readonly [K in keyof FailureOutcome]: FailureOutcome[K] };
    self.ok = false;
    self.error = Object.freeze({ ...error });
    self.callId = callId;
    if (pending) self.pending = pending;
    Object.freeze(this);
  }

  forModel(): string {
    const { code, message, retryable } = this.error;
    return JSON.stringify({ error: { code, message, retryable } });
  }
}

export function okOutcome<T>(
  value: T,
  callId: string,
  options?: { replayed?: boolean; fallback?: boolean },
): ToolOutcomeOk<T> {
  return new OkOutcome(value, callId, options?.replayed ?? false, options?.fallback === true);
}

export function failureOutcome(
  error: ToolOutcomeError,
  callId: string,
  pending?: PendingRef,
): ToolOutcomeFailure {
  return new FailureOutcome(error, callId, pending);
}

/** Default retryability of each outcome code. */
export const RETRYABLE: Readonly<Record<OutcomeCode, boolean>> = Object.freeze({
  tool_not_allowed: false,
  invalid_arguments: false,
  rule_violation: false,
  approval_required: false,
  approval_invalid: false,
  idempotency_in_flight: true,
  idempotency_conflict: false,
  circuit_open: true,
  tool_timeout: true,
  tool_error: false,
  invalid_output: false,
  audit_unavailable: true,
  store_unavailable: true,
});

/** Build a failure outcome with the code's default retryability. */
export function fail(
  code: OutcomeCode,
  message: string,
  callId: string,
  details?: Record<string, unknown>,
  retryable: boolean = RETRYABLE[code],
): ToolOutcomeFailure {
  return failureOutcome({ code, message, retryable, ...(details ? { details } : {}) }, callId);
}
