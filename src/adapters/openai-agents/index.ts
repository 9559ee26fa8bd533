/**
 * `agent-warden/openai-agents` — guard OpenAI Agents SDK (`@openai/agents`) runs with a warden.
 *
 * - {@link toAgentsTools}: the warden's tools as SDK function tools; every call goes through the
 *   current run's guard pipeline, refusals reach the model as tool results, a `RunStop` ends the SDK run.
 * - {@link fromAgentsTools}: existing SDK function tools as warden tool definitions, with guard options.
 * - {@link wardenModel} / {@link wardenModelProvider}: every model turn counted against the run's
 *   step, token and cost budgets, with a `chat {model}` span.
 *
 * Run the SDK inside `warden.run()` and pass `run.signal` to `run(agent, input, { signal })`.
 * See docs/adapters/openai-agents.md.
 *
 * @packageDocumentation
 */
export { type AgentsToolOverride, type AgentsToolOverrides, fromAgentsTools } from './from-agents-tools.js';
export { type WardenModelOptions, wardenModel, wardenModelProvider } from './model.js';
export {
  type AgentsToolSource,
  type AgentsToolsOptions,
  type GuardedAgentsTool,
  toAgentsTools,
} from './to-agents-tools.js';
export { agentsUsage } from './usage.js';
