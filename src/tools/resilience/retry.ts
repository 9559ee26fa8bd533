import pRetry, { AbortError } from 'p-retry';
import { RunStop } from '../../errors.js';
import { ATTR, SPAN_EVENT } from '../../telemetry/attributes.js';
import type { ToolCall } from '../call.js';
import { backoffDelay, sleep } from './backoff.js';
import { BreakerOpenError } from './breaker.js';
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

/**
 * Run `attempt` with retries of transient errors (exponential backoff with
 * jitter from the warden's `random`, waiting on the warden's clock). Every
 * retry passes the run checks and the tool-call budget again, is counted in
 * usage, and is audited. A retry whose backoff would outlive the run's
 * duration budget is not made. Breaker refusals and run stops are never retried.
 */
export async function withRetries<T>(call: ToolCall, attempt: (n: number) => Promise<T>): Promise<T> {
  const { run } = call;
  const tool = call.tool!;
  const isTransient = tool.retry.isTransient ?? isTransientError;
  const transient = (error: unknown) => {
    if (error instanceof BreakerOpenError || RunStop.isInstance(error) || run.stopped) return false;
    try {
      return isTransient(thrownValue(error)) === true;
    } catch {
      return false;
    }
  };
  return pRetry(
    async (attemptNumber) => {
      if (attemptNumber > 1) {
        await run.check();
        const used = run.counters.toolCalls;
        if (used >= run.limits.toolCalls) run.exceed('toolCalls', 'run', run.limits.toolCalls, used);
        run.add({ toolCalls: 1 });
      }
      call.attempts = attemptNumber;
      try {
        return await attempt(attemptNumber);
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new NonErrorThrown(thrown);
        if (!(error instanceof BreakerOpenError)) {
          call.lastError = error;
          if (!surelyNotProcessed(thrownValue(error))) call.mayHaveTakenEffect = true;
        }
        if (!transient(error)) throw new AbortError(error);
        throw error instanceof TypeError ? new TransientTypeError(error) : error;
      }
    },
    {
      retries: tool.retry.retries,
      minTimeout: 0,
      factor: 1,
      shouldRetry: ({ error }) => transient(error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0 || !transient(error)) return;
        const delayMs = backoffDelay(attemptNumber, tool.retry, run.core.random);
        if (run.elapsedMs() + delayMs >= run.limits.durationMs) throw error;
        run.core.audit.emit(run.identity, {
          type: 'tool_retry',
          tool: tool.name,
          callId: call.callId,
          attempt: attemptNumber + 1,
          delayMs,
          error: error.message.slice(0, 200),
        });
        call.span.span.addEvent(SPAN_EVENT.RETRY, {
          [ATTR.WARDEN_TOOL_ATTEMPTS]: attemptNumber,
          [ATTR.WARDEN_RETRY_DELAY_MS]: delayMs,
          [ATTR.EXCEPTION_MESSAGE]: error.message.slice(0, 200),
        });
        try {
          await sleep(run.core.clock, delayMs, run.signal);
        } catch {
          throw run.stopped ?? error;
        }
      },
    },
  ).catch((error: unknown) => {
    throw error instanceof TransientTypeError ? error.original : error;
  });
}
