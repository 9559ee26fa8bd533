// The public API of agent-warden. Everything exported here is part of the
// contract; test/exports.test.ts asserts this list so it never changes by accident.

export type { ApprovalErrorCode, ApproveResult } from './approvals/service.js';
export { type JsonlAudit, type JsonlAuditOptions, jsonlAudit } from './audit/jsonl-audit.js';
export { type MemoryAudit, type MemoryAuditOptions, memoryAudit } from './audit/memory-audit.js';
export type { AuditEvent, AuditEventType, AuditSink } from './audit/types.js';
export {
  type AuditVerification,
  type AuditVerificationError,
  type AuditVerificationReason,
  type VerifyAuditLogOptions,
  verifyAuditLog,
} from './audit/verify.js';
export { computeCostUsd, type ModelPrice, type Pricing } from './budget/pricing.js';
export { extractUsage, type ModelUsage } from './budget/usage.js';
export {
  type BudgetDimension,
  type BudgetScope,
  type OutcomeCode,
  RunStop,
  type RunStopInfo,
  type StopCode,
  type StopDetails,
  WardenConfigError,
  WardenError,
} from './errors.js';
export type { Clock } from './internal/clock.js';
export {
  type ApprovalKey,
  type ApprovalOptions,
  type BudgetOptions,
  DEFAULTS,
  type LimitOptions,
  type LoopOptions,
  type RedactContext,
  type RunBudget,
  type ScopedBudget,
  type TelemetryOptions,
  type WardenOptions,
} from './options.js';
export { currentRun } from './run/context.js';
export type {
  ModelCallOptions,
  ModelSpec,
  PendingApproval,
  Run,
  RunOptions,
  RunResult,
  RunUsage,
  ToolCallOptions,
  UsageInput,
} from './run/types.js';
export { type MemoryStoreOptions, memoryStore } from './store/memory-store.js';
export type {
  BudgetWindow,
  IdempotencyClaim,
  IdempotencyRecord,
  KillRecord,
  Store,
} from './store/types.js';
export { ATTR, OPERATION, SPAN_EVENT } from './telemetry/attributes.js';
export {
  type AnyTool,
  type ApprovalLevel,
  type BreakerOptions,
  defineTool,
  type RetryOptions,
  type RuleContext,
  type RuleIssue,
  type RuleResult,
  type Tool,
  type ToolArgs,
  type ToolContext,
  type ToolDefinition,
  type ToolEffect,
  type ToolNameOf,
  type ToolRule,
} from './tools/define-tool.js';
export type { ToolOutcome, ToolOutcomeError, ToolOutcomeFailure, ToolOutcomeOk } from './tools/outcome.js';
export { VERSION } from './version.js';
export {
  createWarden,
  type KillScope,
  type ToolExecuteOverride,
  type Warden,
  type WithToolsOptions,
} from './warden.js';
