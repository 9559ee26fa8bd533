import { context as otelContext } from '@opentelemetry/api';
import { RunStop } from '../../errors.js';
import { raceAbort } from '../../internal/abort.js';
import type { ToolContext } from '../define-tool.js';
import { fail, okOutcome } from '../outcome.js';
import type { PipelineStep, ToolCall } from '../call.js';

const MAX_ERROR_MESSAGE = 500;

/** Marks an abort caused by the per-attempt timeout. */
export class AttemptTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`tool attempt timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimeout';
  }
}

/** The message of an error, shortened for the model. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error';
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text;
}

/**
 * One attempt of `execute`, with its own timeout and an `AbortSignal` linked
 * to the run's. Resolves with the value or rejects with the error (an
 * `AttemptTimeout` on timeout, the run's `RunStop` when the run ends).
 */
export async function executeAttempt(call: ToolCall, attempt: number): Promise<unknown> {
  const { run } = call;
  const tool = call.tool!;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new AttemptTimeout(tool.timeoutMs)), tool.timeoutMs);
  timer.unref?.();
  const signal = AbortSignal.any([run.signal, timeout.signal]);
  const ctx: ToolContext = {
    runId: run.id,
    callId: call.callId,
    toolName: tool.name,
    userId: run.userId,
    tenantId: run.tenantId,
    sessionId: run.sessionId,
    idempotencyKey: call.idempotencyKey,
    attempt,
    signal,
  };
  try {
    return await raceAbort(
      otelContext.with(call.span.context, () => Promise.resolve().then(() => tool.tool.execute(call.args, ctx))),
      signal,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** 11. Execute the tool (one attempt; retries, breakers and fallbacks wrap this). */
export const execute: PipelineStep = {
  name: 'execute',
  async run(call) {
    call.attempts += 1;
    try {
      call.value = await executeAttempt(call, call.attempts);
      return undefined;
    } catch (error) {
      return failureFromError(call, error);
    }
  },
};

/** Map an error from `execute` to an outcome; a run stop is rethrown. */
export function failureFromError(call: ToolCall, error: unknown) {
  if (call.run.stopped) throw call.run.stopped;
  if (RunStop.isInstance(error)) throw error;
  const tool = call.tool!;
  if (error instanceof AttemptTimeout) {
    return fail('tool_timeout', `${tool.name} did not answer within ${error.timeoutMs} ms.`, call.callId, {
      timeoutMs: error.timeoutMs,
      attempts: call.attempts,
    });
  }
  if (error instanceof Error) call.span.span.recordException(error);
  return fail('tool_error', `${tool.name} failed: ${errorMessage(error)}`, call.callId, { attempts: call.attempts });
}

/** 12. Check the result against the tool's output schema. */
export const outputSchema: PipelineStep = {
  name: 'output-schema',
  async run(call) {
    const tool = call.tool!;
    const schema = tool.tool.output;
    if (!schema) return okOutcome(call.value, call.callId, { fallback: call.fallback ?? false });
    const result = await schema.safeParseAsync(call.value);
    if (!result.success) {
      const issues = result.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String), message: i.message }));
      return fail(
        'invalid_output',
        `${tool.name} returned a result that does not match its declared output; do not rely on it.`,
        call.callId,
        { issues },
      );
    }
    return okOutcome(result.data, call.callId, { fallback: call.fallback ?? false });
  },
};
