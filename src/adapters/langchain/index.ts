/**
 * `agent-warden/langchain` — guard LangChain and LangGraph agents with a warden.
 *
 * - {@link toLangChainTools}: the warden's tools as LangChain tools (for `ToolNode`, `bindTools`,
 *   agents); every call goes through the current run's guard pipeline.
 * - {@link fromLangChainTools}: existing LangChain tools as warden tool definitions, with guard
 *   options added per tool name.
 * - {@link wardenCallbacks}: a callback handler that counts every model call against the run's
 *   step / token / cost budgets and records `chat {model}` spans.
 * - {@link wardenRunConfig}: `{ signal, callbacks }` for `graph.invoke(input, config)` inside a run.
 *
 * `@langchain/core` (and `@langchain/langgraph` for graphs) are optional peer dependencies.
 *
 * @module
 */

export {
  WardenCallbackHandler,
  type WardenCallbacksOptions,
  wardenCallbacks,
} from './callbacks.js';
export {
  type FromLangChainTool,
  fromLangChainTools,
  type LangChainToolOverride,
  type LangChainToolOverrides,
} from './from-langchain-tools.js';
export type { LangChainModelCallInfo } from './model-spec.js';
export { type WardenRunConfig, wardenRunConfig } from './run-config.js';
export { toLangChainTools, WardenLangChainTool, type WardenToolResult } from './to-langchain-tools.js';
