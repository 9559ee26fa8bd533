import { context as otelContext } from '@opentelemetry/api';
import { RunStop, WardenConfigError } from '../../errors.js';
import { raceAbort } from '../../internal/abort.js';
import type { PipelineStep, ToolCall } from '../call.js';
import type { ToolContext } from '../define-tool.js';
import { fail, okOutcome, type ToolOutcome } from '../outcome.js';
import { Attempt, AttemptTimeout } from '../resilience/attempts.js';
import { BreakerOpenError } from '../resilience/breaker.js';
import { NonErrorThrown, withRetries } from '../resilience/retry.js';
import { isTransientError } from '../resilience/transient.js';

export { AttemptTimeout };

const MAX_ERROR_MESSAGE = 500;

/** The message of an error, shortened for the model. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error';
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text;
}

/**
 * The context handed to `execute` (with the attempt's own signal, see attempts.ts) or to a breaker's
 * `fallback` (with the run's).
 */
function toolContext(call: ToolCall, attempt: number, signal: AbortSignal): ToolContext {
  const { run } = call;
  return {
    runId: run.id,
    callId: call.callId,
    toolName: call.tool!.name,
    userId: run.userId,
    tenantId: run.tenantId,
    sessionId: run.sessionId,
    idempotencyKey: call.idempotencyKey,
    attempt,
    signal,
  };
}

/**
 * One attempt of `execute`, with its own timeout and its own `AbortSignal`, which the run aborts
 * when it stops (never shared between calls). Resolves with the value or rejects with the error: an
 * `AttemptTimeout` on timeout, the run's `RunStop` when the run ends.
 */
export function executeAttempt(call: ToolCall, attempt: number): Promise<unknown> {
  const tool = call.tool!;
  const { run } = call;
  const state = new Attempt(run, run.core.deadlines, tool.timeoutMs);
  if (run.signal.aborted) {
    state.abort(run.signal.reason);
    return state.promise;
  }
  let result: unknown;
  try {
    // User spans made inside `execute` nest under the tool span (with a context manager registered).
    const ctx = toolContext(call, attempt, state.signal);
    result = call.span.traced
      ? otelContext.with(call.span.context, tool.tool.execute, undefined, call.args, ctx)
      : tool.tool.execute(call.args, ctx);
  } catch (error) {
    state.failNow(error);
    return state.promise;
  }
  state.follow(result);
  return state.promise;
}

/** The breaker refused the call: use the tool's fallback, or return `circuit_open`. */
async function whenOpen(call: ToolCall, error: BreakerOpenError): Promise<ToolOutcome | undefined> {
  const tool = call.tool!;
  const fallback = tool.tool.fallback;
  if (fallback) {
    try {
      const ctx = toolContext(call, call.attempts, call.run.signal);
      call.value = await raceAbort(
        Promise.resolve().then(() => fallback(call.args, ctx, error)),
        call.run.signal,
      );
      call.fallback = true;
      return undefined;
    } catch (fallbackError) {
      if (call.run.stopped) throw call.run.stopped;
      call.span.span.recordException(
        fallbackError instanceof Error ? fallbackError : new Error(String(fallbackError)),
      );
    }
  }
  return fail(
    'circuit_open',
    `${tool.name} is temporarily unavailable (its dependency is failing); try again in ${Math.ceil(error.retryAfterMs / 1000)} s or answer without it.`,
    call.callId,
    { breaker: error.key, retryAfterMs: error.retryAfterMs },
  );
}

/** 10. The circuit breaker: open → `circuit_open` or the fallback, without calling `execute`. */
export const breaker: PipelineStep = {
  name: 'breaker',
  run(call) {
    const b = call.run.core.breakers.get(call.tool!.breaker.key);
    const state = b.stateFor(call);
    call.breakerState = state; // on the span as `warden.breaker.state` (pipeline.ts, finish)
    if (state === 'open') return whenOpen(call, new BreakerOpenError(b.key, b.retryAfterMs));
    return undefined;
  },
};

/** 11. Execute: each attempt through the breaker with its own timeout; transient errors retried. */
export const execute: PipelineStep = {
  name: 'execute',
  run(call) {
    if (call.fallback) return undefined; // the breaker step already answered with the fallback
    return withRetries(call, call.run.core.breakers.get(call.tool!.breaker.key), executeAttempt).then(
      (value) => executed(call, value),
      (error: unknown) => notExecuted(call, error),
    );
  },
};

function executed(call: ToolCall, value: unknown): undefined {
  call.value = value;
  call.breakerState = call.run.core.breakers.get(call.tool!.breaker.key).state;
  return undefined;
}

function notExecuted(call: ToolCall, error: unknown): ToolOutcome | Promise<ToolOutcome | undefined> {
  call.breakerState = call.run.core.breakers.get(call.tool!.breaker.key).state;
  if (error instanceof BreakerOpenError) return whenOpen(call, error);
  return failureFromError(call, error);
}

/** Map an error from `execute` to an outcome; a run stop is rethrown. */
export function failureFromError(call: ToolCall, error: unknown): ToolOutcome {
  if (call.run.stopped) throw call.run.stopped;
  if (RunStop.isInstance(error)) throw error;
  // A misconfiguration (e.g. a tool called without a mock in a test) is a bug, not something the model can fix.
  if (WardenConfigError.isInstance(error)) throw error;
  const tool = call.tool!;
  const attempts = call.attempts;
  // A write that may already have taken effect is recorded as indeterminate: an identical call is
  // refused, so the model must not be told to retry it.
  const uncertainWrite = tool.idempotency !== false && call.mayHaveTakenEffect === true;
  const uncertain = ' It may already have taken effect: do not repeat it; tell the user and check first.';
  if (error instanceof AttemptTimeout) {
    return fail(
      'tool_timeout',
      `${tool.name} did not answer within ${error.timeoutMs} ms.${uncertainWrite ? uncertain : ''}`,
      call.callId,
      { timeoutMs: error.timeoutMs, attempts, ...(uncertainWrite ? { indeterminate: true } : {}) },
      !uncertainWrite,
    );
  }
  const original = error instanceof NonErrorThrown ? error.value : error;
  if (error instanceof Error) call.span.span.recordException(error);
  let transient = false;
  try {
    transient = (tool.retry.isTransient ?? isTransientError)(original) === true;
  } catch {
    transient = false;
  }
  if (transient && uncertainWrite) {
    return fail('tool_error', `${tool.name} failed: ${errorMessage(error)}.${uncertain}`, call.callId, {
      attempts,
      transient,
      indeterminate: true,
    });
  }
  return fail(
    'tool_error',
    `${tool.name} failed: ${errorMessage(error)}${transient ? ' (a temporary failure; you may try again later)' : ''}`,
    call.callId,
    { attempts, transient },
    transient,
  );
}

/** 12. Check the result against the tool's output schema. */
export const outputSchema: PipelineStep = {
  name: 'output-schema',
  run(call) {
    const schema = call.tool!.tool.output;
    if (!schema) return okOutcome(call.value, call.callId, { fallback: call.fallback ?? false });
    return schema.safeParseAsync(call.value).then((result) => checkedOutput(call, result));
  },
};

function checkedOutput(
  call: ToolCall,
  result:
    | { success: true; data: unknown }
    | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } },
): ToolOutcome {
  const tool = call.tool!;
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 20)
      .map((i) => ({ path: i.path.map(String), message: i.message }));
    return fail(
      'invalid_output',
      `${tool.name} returned a result that does not match its declared output; do not rely on it.`,
      call.callId,
      { issues },
    );
  }
  return okOutcome(result.data, call.callId, { fallback: call.fallback ?? false });
}
