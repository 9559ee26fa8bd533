/**
 * Every span name part, attribute key and event name the library writes.
 * Keys follow the OpenTelemetry GenAI semantic conventions
 * (semantic-conventions-genai); `warden.*` keys are the library's own.
 * Defined here rather than imported from the deprecated incubating constants.
 */
export const ATTR = {
  // GenAI
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  GEN_AI_PROVIDER_NAME: 'gen_ai.provider.name',
  GEN_AI_AGENT_NAME: 'gen_ai.agent.name',
  GEN_AI_AGENT_ID: 'gen_ai.agent.id',
  GEN_AI_CONVERSATION_ID: 'gen_ai.conversation.id',
  GEN_AI_REQUEST_MODEL: 'gen_ai.request.model',
  GEN_AI_RESPONSE_MODEL: 'gen_ai.response.model',
  GEN_AI_RESPONSE_ID: 'gen_ai.response.id',
  GEN_AI_RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
  GEN_AI_USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  GEN_AI_USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read.input_tokens',
  GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: 'gen_ai.usage.cache_write.input_tokens',
  GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: 'gen_ai.usage.reasoning.output_tokens',
  GEN_AI_USAGE_COST_AMOUNT: 'gen_ai.usage.cost.amount',
  GEN_AI_USAGE_COST_CURRENCY: 'gen_ai.usage.cost.currency',
  GEN_AI_USAGE_COST_SOURCE: 'gen_ai.usage.cost.source',
  GEN_AI_INPUT_MESSAGES: 'gen_ai.input.messages',
  GEN_AI_OUTPUT_MESSAGES: 'gen_ai.output.messages',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_TOOL_CALL_ID: 'gen_ai.tool.call.id',
  GEN_AI_TOOL_TYPE: 'gen_ai.tool.type',
  GEN_AI_TOOL_DESCRIPTION: 'gen_ai.tool.description',
  GEN_AI_TOOL_CALL_ARGUMENTS: 'gen_ai.tool.call.arguments',
  GEN_AI_TOOL_CALL_RESULT: 'gen_ai.tool.call.result',
  // General registry
  USER_ID: 'user.id',
  SESSION_ID: 'session.id',
  ERROR_TYPE: 'error.type',
  // agent-warden
  WARDEN_RUN_ID: 'warden.run.id',
  WARDEN_TENANT_ID: 'warden.tenant.id',
  WARDEN_RUN_STATUS: 'warden.run.status',
  WARDEN_STOP_CODE: 'warden.stop.code',
  WARDEN_USAGE_STEPS: 'warden.usage.steps',
  WARDEN_USAGE_TOOL_CALLS: 'warden.usage.tool_calls',
  WARDEN_USAGE_INPUT_TOKENS: 'warden.usage.input_tokens',
  WARDEN_USAGE_OUTPUT_TOKENS: 'warden.usage.output_tokens',
  WARDEN_USAGE_CACHED_INPUT_TOKENS: 'warden.usage.cached_input_tokens',
  WARDEN_USAGE_COST_USD: 'warden.usage.cost_usd',
  WARDEN_USAGE_DURATION_MS: 'warden.usage.duration_ms',
  WARDEN_TOOL_OUTCOME: 'warden.tool.outcome',
  WARDEN_TOOL_EFFECT: 'warden.tool.effect',
  WARDEN_TOOL_ATTEMPTS: 'warden.tool.attempts',
  WARDEN_IDEMPOTENCY_KEY: 'warden.idempotency.key',
  WARDEN_IDEMPOTENCY_REPLAYED: 'warden.idempotency.replayed',
  WARDEN_BREAKER_STATE: 'warden.breaker.state',
  WARDEN_APPROVAL_ID: 'warden.approval.id',
  WARDEN_BUDGET_DIMENSION: 'warden.budget.dimension',
  WARDEN_BUDGET_SCOPE: 'warden.budget.scope',
  WARDEN_BUDGET_LIMIT: 'warden.budget.limit',
  WARDEN_BUDGET_USED: 'warden.budget.used',
  WARDEN_APPROVAL_LEVEL: 'warden.approval.level',
  WARDEN_BREAKER_KEY: 'warden.breaker.key',
  WARDEN_KILL_SCOPE: 'warden.kill.scope',
  WARDEN_LOOP_REPEATS: 'warden.loop.repeats',
  WARDEN_RETRY_DELAY_MS: 'warden.retry.delay_ms',
  WARDEN_STORE_OPERATION: 'warden.store.operation',
  EXCEPTION_MESSAGE: 'exception.message',
} as const;

/** Values of `gen_ai.operation.name` the library writes. */
export const OPERATION = {
  INVOKE_AGENT: 'invoke_agent',
  EXECUTE_TOOL: 'execute_tool',
  CHAT: 'chat',
} as const;

/** Span event names. */
export const SPAN_EVENT = {
  BUDGET_WARNING: 'warden.budget_warning',
  BUDGET_EXCEEDED: 'warden.budget_exceeded',
  LOOP_WARNING: 'warden.loop_warning',
  APPROVAL_REQUESTED: 'warden.approval_requested',
  BREAKER_OPENED: 'warden.breaker_opened',
  BREAKER_CLOSED: 'warden.breaker_closed',
  BREAKER_HALF_OPEN: 'warden.breaker_half_open',
  KILLED: 'warden.killed',
  AUDIT_FAILED: 'warden.audit_failed',
  RETRY: 'warden.retry',
  STORE_ERROR: 'warden.store_error',
  IDEMPOTENCY_FENCED: 'warden.idempotency.fenced',
} as const;

export type AttributeKey = (typeof ATTR)[keyof typeof ATTR];
