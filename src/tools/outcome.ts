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

function okForModel(this: ToolOutcomeOk): string {
  if (typeof this.value === 'string') return this.value;
  try {
    return JSON.stringify(this.value) ?? 'null';
  } catch {
    return '"[unserialisable result]"';
  }
}

function failureForModel(this: ToolOutcomeFailure): string {
  const { code, message, retryable } = this.error;
  return JSON.stringify({ error: { code, message, retryable } });
}

export function okOutcome<T>(
  value: T,
  callId: string,
  options: { replayed?: boolean; fallback?: boolean } = {},
): ToolOutcomeOk<T> {
  const outcome: ToolOutcomeOk<T> = {
    ok: true,
    value,
    replayed: options.replayed ?? false,
    callId,
    ...(options.fallback ? { fallback: true } : {}),
    forModel: okForModel,
  };
  Object.defineProperty(outcome, 'forModel', { enumerable: false });
  return Object.freeze(outcome);
}

export function failureOutcome(
  error: ToolOutcomeError,
  callId: string,
  pending?: PendingRef,
): ToolOutcomeFailure {
  const outcome: ToolOutcomeFailure = {
    ok: false,
    error: Object.freeze({ ...error }),
    callId,
    ...(pending ? { pending } : {}),
    forModel: failureForModel,
  };
  Object.defineProperty(outcome, 'forModel', { enumerable: false });
  return Object.freeze(outcome);
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
