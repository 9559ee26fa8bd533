/**
 * `agent-warden/ai-sdk` — the Vercel AI SDK (`ai` >= 7) adapter.
 *
 * - `fromAiSdkTools(toolSet, overrides)`: warden tools from an existing AI SDK `ToolSet`.
 * - `toAiSdkTools(warden)`: a `ToolSet` whose every call goes through the current run.
 * - `wardenMiddleware()`: a language-model middleware that counts steps, tokens and cost, enforces
 *   the budgets before each model call and records `chat {model}` spans.
 *
 * See docs/adapters/ai-sdk.md.
 */
export {
  type AiSdkToolGuards,
  type AiSdkToolOverrides,
  type AiSdkWardenTools,
  fromAiSdkTools,
} from './from-ai-sdk-tools.js';
export { type WardenMiddlewareOptions, wardenMiddleware } from './middleware.js';
export { toAiSdkTools, type WardenToolSet } from './to-ai-sdk-tools.js';
