import pRetry, { AbortError } from 'p-retry';
import { RunStop } from '../../errors.js';
import { ATTR, SPAN_EVENT } from '../../telemetry/attributes.js';
import type { ToolCall } from '../call.js';
import { backoffDelay, sleep } from './backoff.js';
import { type Breaker, BreakerOpenError } from './breaker.js';
import { isTransientError, surelyNotProcessed } from './transient.js';

/** A non-Error value thrown by `execute`, wrapped so it can be classified and reported. */
export class NonErrorThrown extends Error {
  readonly value: unknown;

  constructor(value: unknown) {
    super(typeof value === 'string' ? value : `a non-Error value was thrown (${typeof value})`);
    this.name = 'NonErrorThrown';
    this.value = value;
  }
}

/**
 * p-retry never retries a `TypeError` unless it looks like a `fetch` network error, whatever
 * `shouldRetry` says; a `TypeError` classified as transient crosses p-retry in this wrapper.
 */
class TransientTypeError extends Error {
  readonly original: TypeError;

  constructor(original: TypeError) {
    super(original.message);
    this.name = 'TransientTypeError';
    this.original = original;
  }
}

/** The value `execute` threw, without the wrappers used to carry it through p-retry. */
function thrownValue(error: unknown): unknown {
  if (error instanceof TransientTypeError) return error.original;
  return error instanceof NonErrorThrown ? error.value : error;
}

/** Whether `error` may be retried: transient by the tool's rule, and not a breaker refusal or a run stop. */
function retryable(call: ToolCall, error: unknown): boolean {
  if (error instanceof BreakerOpenError || RunStop.isInstance(error) || call.run.stopped) return false;
  try {
    return (call.tool!.retry.isTransient ?? isTransientError)(thrownValue(error)) === true;
  } catch {
    return false;
  }
}

/** Record a failed attempt on the call; returns it as an `Error` (a thrown non-Error is wrapped). */
function failedAttempt(call: ToolCall, thrown: unknown): Error {
  const error = thrown instanceof Error ? thrown : new NonErrorThrown(thrown);
  if (!(error instanceof BreakerOpenError)) {
    call.lastError = error;
    if (!surelyNotProcessed(thrownValue(error))) call.mayHaveTakenEffect = true;
  }
  return error;
}

/**
 * Before retry number `attempt` - 1 (attempt `attempt` failed with `error`): wait the backoff, unless it
 * would outlive the run's duration budget; audit and trace the retry. Throws to give up.
 */
async function beforeRetry(call: ToolCall, error: Error, attempt: number): Promise<void> {
  const { run } = call;
  const tool = call.tool!;
  const delayMs = backoffDelay(attempt, tool.retry, run.core.random);
  if (run.elapsedMs() + delayMs >= run.limits.durationMs) throw error;
  run.core.audit.emit(run.identity, {
    type: 'tool_retry',
    tool: tool.name,
    callId: call.callId,
    attempt: attempt + 1,
    delayMs,
    error: error.message.slice(0, 200),
  });
  call.span.span.addEvent(SPAN_EVENT.RETRY, {
    [ATTR.WARDEN_TOOL_ATTEMPTS]: attempt,
    [ATTR.WARDEN_RETRY_DELAY_MS]: delayMs,
    [ATTR.EXCEPTION_MESSAGE]: error.message.slice(0, 200),
  });
  try {
    await sleep(run.core.clock, delayMs, run.signal);
  } catch {
    throw run.stopped ?? error;
  }
}

/**
 * Run `attempt` with retries of transient errors (exponential backoff with
 * jitter from the warden's `random`, waiting on the warden's clock). Every
 * retry passes the run checks and the tool-call budget again, is counted in
 * usage, and is audited. A retry whose backoff would outlive the run's
 * duration budget is not made. Breaker refusals and run stops are never retried.
 *
 * The first attempt runs directly; p-retry takes over only after a transient failure. Each attempt
 * goes through `breaker` as `attempt(call, n)`.
 */
export function withRetries<T>(
  call: ToolCall,
  breaker: Breaker,
  attempt: (call: ToolCall, n: number) => Promise<T>,
): Promise<T> {
  call.attempts = 1;
  return breaker
    .run(attempt, call, 1)
    .then(undefined, (thrown: unknown) => afterFirstFailure(call, breaker, attempt, thrown));
}

async function afterFirstFailure<T>(
  call: ToolCall,
  breaker: Breaker,
  attempt: (call: ToolCall, n: number) => Promise<T>,
  thrown: unknown,
): Promise<T> {
  const retries = call.tool!.retry.retries;
  const error = failedAttempt(call, thrown);
  if (retries === 0 || !retryable(call, error)) throw error;
  await beforeRetry(call, error, 1);
  return retryRest(call, (n) => breaker.run(attempt, call, n), retries);
}

/** Attempts 2 to `retries + 1`, through p-retry. */
function retryRest<T>(call: ToolCall, attempt: (n: number) => Promise<T>, retries: number): Promise<T> {
  const { run } = call;
  return pRetry(
    async (retryNumber) => {
      const attemptNumber = retryNumber + 1;
      await run.check();
      const used = run.counters.toolCalls;
      if (used >= run.limits.toolCalls) run.exceed('toolCalls', 'run', run.limits.toolCalls, used);
      run.add({ toolCalls: 1 });
      call.attempts = attemptNumber;
      try {
        return await attempt(attemptNumber);
      } catch (thrown) {
        const error = failedAttempt(call, thrown);
        if (!retryable(call, error)) throw new AbortError(error);
        throw error instanceof TypeError ? new TransientTypeError(error) : error;
      }
    },
    {
      retries: retries - 1,
      minTimeout: 0,
      factor: 1,
      shouldRetry: ({ error }) => retryable(call, error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0 || !retryable(call, error)) return;
        await beforeRetry(call, error, attemptNumber + 1);
      },
    },
  ).catch((error: unknown) => {
    throw error instanceof TransientTypeError ? error.original : error;
  });
}
