import type { BudgetDimension, BudgetScope } from '../errors.js';

/** Fields every audit event carries. */
export interface AuditEventBase {
  /** Monotonic per warden, starting at 1. */
  seq: number;
  /** Epoch milliseconds from the warden's clock. */
  ts: number;
  runId?: string;
  userId?: string;
  tenantId?: string;
  sessionId?: string;
  traceId?: string;
}

export type AuditEvent = AuditEventBase & AuditEventBody & { content?: Record<string, unknown> };

/** The event-specific part of an audit event, keyed by `type`. */
export type AuditEventBody =
  | { type: 'run_started'; agent: string }
  | {
      type: 'run_finished';
      status: 'completed' | 'stopped' | 'error';
      stopCode?: string;
      usage: Record<string, number>;
    }
  | {
      type: 'model_call';
      provider?: string;
      model: string;
      inputTokens?: number;
      outputTokens?: number;
      cachedInputTokens?: number;
      costUsd?: number;
      durationMs: number;
      outcome: 'ok' | string;
    }
  | {
      type: 'tool_intent';
      tool: string;
      callId: string;
      argsHash: string;
      idempotencyKey?: string;
      effect: 'read' | 'write';
    }
  | {
      type: 'tool_call';
      tool: string;
      callId: string;
      /** `ok` or the outcome code. */
      outcome: string;
      effect?: 'read' | 'write';
      durationMs: number;
      argsHash?: string;
      idempotencyKey?: string;
      replayed?: boolean;
      attempts?: number;
      message?: string;
    }
  | { type: 'tool_retry'; tool: string; callId: string; attempt: number; delayMs: number; error: string }
  | { type: 'approval_requested'; pendingId: string; tool: string; level: string; argsHash: string }
  | { type: 'approval_granted'; pendingId: string; tool: string; approvers: string[] }
  | { type: 'approval_rejected'; pendingId: string; tool: string; approver: string; reason?: string }
  | { type: 'approval_consumed'; pendingId: string; tool: string }
  | { type: 'approval_expired'; pendingId: string; tool: string }
  | { type: 'approval_refused'; reason: string; pendingId?: string; tool?: string }
  | {
      type: 'budget_warning';
      dimension: BudgetDimension;
      scope: BudgetScope;
      limit: number;
      used: number;
      ratio: number;
    }
  | { type: 'budget_exceeded'; dimension: BudgetDimension; scope: BudgetScope; limit: number; used: number }
  | { type: 'loop_warning'; tool: string; repeats: number }
  | { type: 'loop_detected'; tool: string; repeats: number }
  | { type: 'killed'; scope: string; reason?: string }
  | { type: 'revived'; scope: string }
  | { type: 'breaker_opened'; key: string }
  | { type: 'breaker_half_open'; key: string }
  | { type: 'breaker_closed'; key: string };

export type AuditEventType = AuditEventBody['type'];

/**
 * Where audit events go. `write` may be sync or async; the warden awaits it
 * for write-tool intents (a failure there means the tool does not run) and
 * never lets a failing sink crash a run otherwise.
 */
export interface AuditSink {
  write(event: AuditEvent): void | Promise<void>;
  /**
   * Ask for content: `model_call` events then carry `content.response` and
   * `tool_call` events `content.args` and `content.value` / `content.error`.
   * For test recorders and incident debugging, not for production audit. @default false
   */
  readonly content?: boolean;
  /** Flush and release file handles. */
  close?(): void | Promise<void>;
}
