import type { RunImpl } from '../run/run.js';
import type { ToolCallOptions } from '../run/types.js';
import type { SpanHandle } from '../telemetry/span.js';
import type { ToolOutcome } from './outcome.js';
import type { RegisteredTool } from './registry.js';
import type { AfterWork } from './steps/after-call.js';
import type { Deferred } from './steps/prechecks.js';

/** The state of one tool call as it moves through the pipeline. */
export interface ToolCall {
  readonly run: RunImpl;
  /** The name the model asked for (not yet trusted). */
  readonly name: string;
  readonly rawArgs: unknown;
  readonly options: ToolCallOptions;
  readonly callId: string;
  readonly span: SpanHandle;
  readonly startedAt: number;
  /** Set by the allowlist step. */
  tool?: RegisteredTool;
  /** Set by the schema step: the arguments as parsed from the raw input, before the schema. */
  inputArgs?: Record<string, unknown>;
  /** Set by the schema step: the parsed, validated arguments. */
  args?: unknown;
  /** Set by the step that needs it first; see `canonicalArgsOf`. */
  canonicalArgs?: string;
  /** Set by the step that needs it first; see `argsHashOf`. */
  argsHash?: string;
  idempotencyKey?: string;
  /** Attempts made by the execute step. */
  attempts: number;
  /** Set by the execute step. */
  value?: unknown;
  /** Set when a value came from a breaker fallback. */
  fallback?: boolean;
  /** The error of the last failed attempt. */
  lastError?: unknown;
  /** Set when a failed attempt may have reached the dependency (its error is not "surely not processed"). */
  mayHaveTakenEffect?: boolean;
  /** Set when the outcome is a stored result of an earlier identical call. */
  replayed?: boolean;
  /** The call's identity for loop detection (see steps/loops.ts). */
  loopSignature?: string;
  /** Set once loop detection has counted this call. */
  loopObserved?: boolean;
  /** Set when a valid approval token was redeemed for this call. */
  approvedPendingId?: string;
  /** The breaker state: as the call reached the breaker, then as its attempts left it (for the span). */
  breakerState?: string;
  /** Store work of steps 1 and 3 not sent yet (see steps/prechecks.ts). */
  deferred?: Deferred;
  /** Store work due after the call: settlement, idempotency completion (see steps/after-call.ts). */
  after?: AfterWork;
}

/** One named step of the pipeline: return an outcome to finish the call, or nothing to go on. */
export interface PipelineStep {
  readonly name: string;
  run(call: ToolCall): Promise<ToolOutcome | undefined> | ToolOutcome | undefined;
}
