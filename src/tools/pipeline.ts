import { type Attributes, SpanKind } from '@opentelemetry/api';
import { RunStop } from '../errors.js';
import type { RunImpl } from '../run/run.js';
import type { ToolCallOptions } from '../run/types.js';
import { ATTR, OPERATION } from '../telemetry/attributes.js';
import { errorTypeOf, startSpan } from '../telemetry/span.js';
import { argsHashOf } from './args-hash.js';
import type { PipelineStep, ToolCall } from './call.js';
import { TOOL_NAME_PATTERN } from './define-tool.js';
import type { ToolOutcome } from './outcome.js';
import { finishStoreWork } from './steps/after-call.js';
import { approval } from './steps/approval.js';
import { auditIntent } from './steps/audit-intent.js';
import { allowlist, runChecks, toolCallBudget } from './steps/checks.js';
import { breaker, execute, outputSchema } from './steps/execute.js';
import { idempotency } from './steps/idempotency.js';
import { loops, observeCall } from './steps/loops.js';
import { flushFirst } from './steps/prechecks.js';
import { parseArguments, rules } from './steps/validate.js';

export { argsHashOf };

/**
 * The tool-call pipeline, in order (docs/tools.md says why this order).
 * Each step may end the call with an outcome or throw a `RunStop`.
 *
 * The store work of steps 1 (kill lookup) and 3 (scoped tool-call reservation) is sent with the claim
 * of step 8 — one store round trip before `execute`, one after (steps/prechecks.ts, after-call.ts) —
 * and sooner whenever a step is about to end the call, so outcomes keep this order.
 */
export const PIPELINE: readonly PipelineStep[] = Object.freeze([
  runChecks, // 1. killed / aborted / out of time → RunStop; store down → store_unavailable
  allowlist, // 2. → tool_not_allowed
  toolCallBudget, // 3. → RunStop budget_exceeded
  parseArguments, // 4. → invalid_arguments
  rules, // 5. → rule_violation
  loops, // 6. → loop_warning event, then RunStop loop_detected
  approval, // 7. → approval_required / approval_invalid
  idempotency, // 8. → replay / idempotency_in_flight / idempotency_conflict
  auditIntent, // 9. → audit_unavailable (write tools)
  breaker, // 10. → circuit_open (or the fallback)
  execute, // 11. → tool_timeout / tool_error (transient errors retried)
  outputSchema, // 12. → invalid_output, or the ok outcome
]);

function record(call: ToolCall, kind: 'tool_arguments' | 'tool_result', value: unknown): string | undefined {
  const { telemetry } = call.run.core.options;
  try {
    // redact gets a copy, so a hook that edits in place cannot change what the loop receives.
    const copy = telemetry.redact ? structuredClone(value) : value;
    const redacted = telemetry.redact
      ? telemetry.redact(copy, { kind, tool: call.tool?.name ?? call.name })
      : value;
    return typeof redacted === 'string' ? redacted : JSON.stringify(redacted);
  } catch {
    return undefined;
  }
}

/** `run.tool()`: run the pipeline, then audit, trace and finalise the call. */
export async function runToolPipeline(
  run: RunImpl,
  requestedName: string,
  rawArgs: unknown,
  options: ToolCallOptions,
): Promise<ToolOutcome> {
  // Only a string can name a tool. Anything else is denied under a placeholder no tool can have, and is
  // never passed to String() (which throws for e.g. Object.create(null)): run.tool throws only RunStops.
  const name = typeof requestedName === 'string' ? requestedName : `(${typeof requestedName})`;
  const core = run.core;
  const callId =
    typeof options.callId === 'string' && options.callId.length > 0 ? options.callId : core.generateId();
  // A registered tool's span name is made once; any other name only if it is a valid tool name.
  const spanName =
    core.registry.get(name)?.spanName ??
    (TOOL_NAME_PATTERN.test(name) ? `${OPERATION.EXECUTE_TOOL} ${name}` : OPERATION.EXECUTE_TOOL);
  const span = startSpan(
    core.tracer,
    spanName,
    SpanKind.INTERNAL,
    {
      [ATTR.GEN_AI_OPERATION_NAME]: OPERATION.EXECUTE_TOOL,
      [ATTR.GEN_AI_TOOL_NAME]: name.length > 64 ? name.slice(0, 64) : name,
      [ATTR.GEN_AI_TOOL_CALL_ID]: callId,
      [ATTR.GEN_AI_TOOL_TYPE]: 'function',
    },
    run.span.context,
  );
  const call: ToolCall = {
    run,
    name,
    rawArgs,
    options,
    callId,
    span,
    startedAt: core.clock.now(),
    // Every field from the start: one object shape for every call, however far it gets.
    tool: undefined,
    inputArgs: undefined,
    args: undefined,
    canonicalArgs: undefined,
    argsHash: undefined,
    idempotencyKey: undefined,
    attempts: 0,
    value: undefined,
    fallback: undefined,
    lastError: undefined,
    mayHaveTakenEffect: undefined,
    replayed: undefined,
    loopSignature: undefined,
    loopObserved: undefined,
    approvedPendingId: undefined,
    breakerState: undefined,
    deferred: undefined,
    after: undefined,
  };

  let outcome: ToolOutcome | null = null;
  let thrown: unknown;
  try {
    for (const step of PIPELINE) {
      // Most steps answer synchronously; only a promise is awaited.
      let result = step.run(call);
      if (result !== undefined && typeof (result as Promise<unknown>).then === 'function') {
        result = await result;
      }
      if (result) {
        // The kill and budget checks deferred from steps 1 and 3 come before this step's outcome.
        outcome = call.deferred
          ? ((await flushFirst(call)) ?? (result as ToolOutcome))
          : (result as ToolOutcome);
        break;
      }
    }
    if (!outcome) throw new Error(`agent-warden: the tool pipeline ended without an outcome for '${name}'`);
  } catch (error) {
    thrown = error;
    // A step threw before the deferred checks were made: they still come first.
    if (call.deferred) {
      try {
        const first = await flushFirst(call);
        if (first) [outcome, thrown] = [first, undefined];
      } catch (stop) {
        thrown = stop;
      }
    }
  }
  if (outcome && !outcome.ok && !call.loopObserved) {
    // A refused call repeated unchanged (the model ignoring the error) counts towards loop detection too.
    const refused = outcome;
    outcome = null;
    try {
      observeCall(call);
      outcome = refused;
    } catch (error) {
      thrown = error;
    }
  }
  if (call.after) {
    // The store work due after the call (settlement, idempotency completion): see steps/after-call.ts.
    try {
      const done = finishStoreWork(call, outcome);
      if (done) await done;
    } catch (error) {
      span.span.recordException(error instanceof Error ? error : new Error(String(error)));
    }
  }
  finish(call, outcome, thrown);
  if (thrown !== undefined) throw thrown;
  return outcome!;
}

function finish(call: ToolCall, outcome: ToolOutcome | null, thrown: unknown): void {
  const { run, span } = call;
  const s = span.span;
  const code = outcome
    ? outcome.ok
      ? 'ok'
      : outcome.error.code
    : RunStop.isInstance(thrown)
      ? thrown.code
      : errorTypeOf(thrown);
  const tool = call.tool;
  // A span that records nothing (no tracer, or sampled out) gets no attributes: they would be dropped.
  if (s.isRecording()) {
    const attributes: Attributes = { [ATTR.WARDEN_TOOL_OUTCOME]: code };
    if (tool) attributes[ATTR.WARDEN_TOOL_EFFECT] = tool.effect;
    if (call.attempts > 0) attributes[ATTR.WARDEN_TOOL_ATTEMPTS] = call.attempts;
    if (call.breakerState) attributes[ATTR.WARDEN_BREAKER_STATE] = call.breakerState;
    if (call.idempotencyKey) {
      attributes[ATTR.WARDEN_IDEMPOTENCY_KEY] = call.idempotencyKey;
      attributes[ATTR.WARDEN_IDEMPOTENCY_REPLAYED] = call.replayed === true;
    }
    const { telemetry } = run.core.options;
    if (telemetry.recordInputs && call.args !== undefined) {
      const text = record(call, 'tool_arguments', call.args);
      if (text !== undefined) attributes[ATTR.GEN_AI_TOOL_CALL_ARGUMENTS] = text;
    }
    if (telemetry.recordOutputs && outcome?.ok) {
      const text = record(call, 'tool_result', outcome.value);
      if (text !== undefined) attributes[ATTR.GEN_AI_TOOL_CALL_RESULT] = text;
    }
    s.setAttributes(attributes);
  }
  if (code !== 'ok') {
    const message =
      outcome && !outcome.ok ? outcome.error.message : thrown instanceof Error ? thrown.message : code;
    span.fail(code, message, outcome ? undefined : thrown);
  }
  span.end();
  if (!run.core.audit.active) return; // nobody receives audit events: do not build one
  const argsHash = argsHashOf(call);
  run.core.audit.emit(
    run.identity,
    {
      type: 'tool_call',
      tool: tool?.name ?? (typeof call.name === 'string' ? call.name.slice(0, 64) : String(call.name)),
      callId: call.callId,
      outcome: code,
      ...(tool ? { effect: tool.effect } : {}),
      durationMs: Math.max(0, run.core.clock.now() - call.startedAt),
      ...(argsHash ? { argsHash } : {}),
      ...(call.idempotencyKey ? { idempotencyKey: call.idempotencyKey } : {}),
      ...(call.idempotencyKey ? { replayed: call.replayed === true } : {}),
      ...(call.attempts > 0 ? { attempts: call.attempts } : {}),
      ...(outcome && !outcome.ok ? { message: outcome.error.message } : {}),
    },
    () => ({
      tool: call.name,
      args: call.args ?? call.rawArgs,
      executed: call.attempts > 0,
      ...(outcome?.ok
        ? { value: outcome.value, replayed: outcome.replayed, fallback: outcome.fallback === true }
        : outcome
          ? { error: { code: outcome.error.code, message: outcome.error.message } }
          : { stop: RunStop.isInstance(thrown) ? thrown.code : errorTypeOf(thrown) }),
    }),
  );
}
