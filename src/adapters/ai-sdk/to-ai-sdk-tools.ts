import type { Tool as AiSdkTool, ToolExecutionOptions } from 'ai';
import { type AnyTool, currentRun, type ToolNameOf, type Warden } from '../../index.js';
import { withExecutionOptions } from './execution-options.js';
import { modelFacingSchema } from './input-schema.js';
import { originOf } from './origin.js';

/**
 * An AI SDK tool set with one tool per warden tool. Each tool's result is the warden tool's value,
 * or — when the warden said no — the outcome's `forModel()` text.
 */
export type WardenToolSet<TTools extends readonly AnyTool[]> = {
  [Name in ToolNameOf<TTools>]: AiSdkTool<any, unknown> & {
    execute: (input: any, options: ToolExecutionOptions<any>) => Promise<unknown>;
  };
};

function guardedTool(tool: AnyTool): AiSdkTool<any, unknown> {
  const origin = originOf(tool);
  return {
    description: tool.description,
    inputSchema: modelFacingSchema(origin?.inputSchema ?? tool.input),
    ...(origin?.providerOptions !== undefined ? { providerOptions: origin.providerOptions } : {}),
    ...(origin?.strict !== undefined ? { strict: origin.strict } : {}),
    ...(origin?.inputExamples !== undefined ? { inputExamples: origin.inputExamples } : {}),
    ...(origin?.metadata !== undefined ? { metadata: origin.metadata } : {}),
    async execute(input: unknown, options: ToolExecutionOptions<unknown>) {
      const run = currentRun();
      const outcome = await withExecutionOptions(options, () =>
        run.tool(tool.name, input, { callId: options.toolCallId }),
      );
      return outcome.ok ? outcome.value : outcome.forModel();
    },
  };
}

/**
 * The warden's tools as an AI SDK `ToolSet`, for `generateText` / `streamText` / agents. Every call
 * goes through the current run's pipeline (`currentRun().tool(name, input, { callId })`): allowlist
 * and the run's `tools` narrowing, tool-call budget, schema and rules, loop detection, approval,
 * idempotency, breaker, timeout and retries, audit and an `execute_tool` span.
 *
 * - The model sees each tool's JSON Schema; the AI SDK does not validate the input, the warden
 *   does, so a bad argument comes back to the model as an `invalid_arguments` tool result.
 * - A refusal or failure (`tool_not_allowed`, `invalid_arguments`, `approval_required`,
 *   `tool_error`, ...) is returned as the tool's result: the `forModel()` text, so the model can
 *   re-plan.
 * - A `RunStop` is thrown. The AI SDK turns it into a `tool-error`, but the stop is recorded on the
 *   run and aborts `run.signal`: pass `abortSignal: run.signal` to `generateText` / `streamText`
 *   (and wrap the model with `wardenMiddleware()`, which refuses the next model call), and
 *   `warden.run()` returns `status: 'stopped'`.
 * - Calling a tool outside `warden.run()` throws: a guarded tool never runs unguarded.
 *
 * The AI SDK's own `toolApproval` is not needed: approvals are the warden's (signed tokens).
 */
export function toAiSdkTools<TTools extends readonly AnyTool[]>(
  warden: Pick<Warden<TTools>, 'tools'>,
): WardenToolSet<TTools> {
  const tools: Record<string, AiSdkTool<any, unknown>> = {};
  for (const tool of warden.tools) {
    // defineProperty: a tool may be called `__proto__`, which plain assignment would not store.
    Object.defineProperty(tools, tool.name, { value: guardedTool(tool), enumerable: true, writable: true });
  }
  return tools as WardenToolSet<TTools>;
}
