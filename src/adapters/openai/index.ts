/**
 * `agent-warden/openai` — guard a hand-written loop on the official `openai` client, with the
 * Chat Completions or the Responses API.
 *
 * - {@link toChatCompletionsTools} / {@link toResponsesTools}: the warden's tools as OpenAI function
 *   tools (JSON Schema from zod, strict mode where the schema allows it).
 * - {@link runToolCalls} / {@link runFunctionCalls}: the model's tool calls through the guards, back
 *   as `role: 'tool'` messages / `function_call_output` items carrying each outcome's `forModel()` text.
 * - {@link chatCompletion} / {@link createResponse}: the model call itself under the run's budgets,
 *   spans and signal.
 * - {@link fromOpenAITools}: the OpenAI tools you already have (definitions + handlers) as warden tools.
 *
 * The `openai` package is an optional peer dependency; this module only imports its types.
 *
 * @example
 * ```ts
 * const result = await warden.run({ userId }, async (run) => {
 *   const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
 *   for (;;) {
 *     const completion = await chatCompletion(run, client, { model: 'gpt-4.1', messages, tools: toChatCompletionsTools(warden) });
 *     const message = completion.choices[0]!.message;
 *     messages.push(message);
 *     if (!message.tool_calls?.length) return message.content;
 *     messages.push(...(await runToolCalls(run, message.tool_calls)));
 *   }
 * });
 * ```
 *
 * @packageDocumentation
 */

export {
  fromOpenAITools,
  type OpenAIFunctionDefinition,
  type OpenAIToolHandler,
  type OpenAIToolOverrides,
} from './from-openai-tools.js';
export {
  type ChatCompletionsClient,
  chatCompletion,
  createResponse,
  type OpenAICallOptions,
  type ResponsesClient,
} from './model-calls.js';
export { runFunctionCalls, runToolCalls } from './tool-calls.js';
export {
  type OpenAIToolsOptions,
  type ToolSource,
  toChatCompletionsTools,
  toResponsesTools,
} from './tools.js';
