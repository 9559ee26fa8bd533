import type { ModelUsage } from '../budget/usage.js';
import type { RunStopInfo } from '../errors.js';
import type { RunBudget } from '../options.js';
import type { ToolOutcome } from '../tools/outcome.js';

/** Totals of a run so far. */
export interface RunUsage {
  /** Model calls made. */
  steps: number;
  /** Tool calls that passed the allowlist (every attempt counts). */
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
  durationMs: number;
}

/** Who the run acts for, and how it may be narrowed. */
export interface RunOptions {
  userId?: string;
  tenantId?: string;
  /** Groups runs of one conversation; also the idempotency scope and `gen_ai.conversation.id`. */
  sessionId?: string;
  /** Narrow the allowlist for this run (names of registered tools). */
  tools?: readonly string[];
  /** Tighten the run budgets for this run; a looser value is ignored. */
  budgets?: RunBudget;
  /** Approval tokens granted for this run. */
  approvals?: readonly string[];
  /** Aborting it stops the run with `aborted`. */
  signal?: AbortSignal;
}

/** A model and how to price and reserve for one call to it. */
export interface ModelSpec {
  model: string;
  /** `gen_ai.provider.name`, e.g. `openai`, `anthropic`, `aws.bedrock`. */
  provider?: string;
  /** `gen_ai.operation.name`. @default 'chat' */
  operation?: string;
  /**
   * Reserved against budgets before the call and settled to the actual after,
   * so concurrent runs sharing a budget cannot overspend it.
   */
  estimate?: { inputTokens?: number; outputTokens?: number } | { costUsd: number };
}

/** Token counts handed in by the caller; missing detail fields count as 0. */
export type UsageInput = Partial<ModelUsage> & { inputTokens: number; outputTokens: number };

export interface ModelCallOptions<T> {
  /** Read usage from the response when auto-detection does not know its shape. */
  usage?: (response: T) => UsageInput | null | undefined;
}

export interface ToolCallOptions {
  /** The provider's tool-call id; generated when absent. */
  callId?: string;
  /** Explicit idempotency key (16-255 characters). */
  idempotencyKey?: string;
  /** An approval token for this call. */
  approval?: string;
}

/** The handle a run's code uses for every guarded model and tool call. */
export interface Run {
  readonly id: string;
  readonly userId: string | undefined;
  readonly tenantId: string | undefined;
  readonly sessionId: string | undefined;
  /** Aborted when the run is stopped, killed or the caller aborts. */
  readonly signal: AbortSignal;
  /** A snapshot of the usage so far. */
  readonly usage: RunUsage;
  /** Call a model under the run's budgets; returns the response. Throws `RunStop`. */
  model<T>(
    spec: ModelSpec,
    call: (signal: AbortSignal) => Promise<T>,
    options?: ModelCallOptions<T>,
  ): Promise<T>;
  /** Record usage of a model call made outside `model()` (streaming, callbacks). Counts a step. */
  recordUsage(spec: ModelSpec, usage: UsageInput): Promise<void>;
  /** Call a tool through the guard pipeline. Returns an outcome; throws only `RunStop`. */
  tool<T = unknown>(name: string, rawArgs: unknown, options?: ToolCallOptions): Promise<ToolOutcome<T>>;
  /** Throw a `RunStop` if the run must end. */
  check(): Promise<void>;
}

/** A pending approval created during the run. */
export interface PendingApproval {
  id: string;
  tool: string;
  args: unknown;
  argsHash: string;
  level: 'confirm' | 'dual';
  summary: string;
  userId: string | undefined;
  tenantId: string | undefined;
  runId: string;
  requestedAt: number;
  expiresAt: number;
}

interface RunResultBase {
  usage: RunUsage;
  runId: string;
  /** Trace id of the run span (all zeros when tracing is off). */
  traceId: string;
  /** Approvals requested during the run. */
  pending: PendingApproval[];
}

export type RunResult<T = unknown> =
  | (RunResultBase & { status: 'completed'; output: T })
  | (RunResultBase & { status: 'stopped'; stop: RunStopInfo });
