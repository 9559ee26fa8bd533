import type { ToolCall } from '@langchain/core/messages/tool';
import { ToolMessage } from '@langchain/core/messages/tool';
import {
  DynamicStructuredTool,
  type StructuredToolCallInput,
  ToolInputParsingException,
  type ToolReturnType,
  type ToolRunnableConfig,
} from '@langchain/core/tools';
import type { z } from 'zod';
import { type AnyTool, currentRun, type ToolOutcome, type Warden } from '../../index.js';

/** What a guarded LangChain tool returns: the `forModel()` text, or a `ToolMessage` when a tool call id is known. */
export type WardenToolResult = string | ToolMessage;

function isToolCall(value: unknown): value is ToolCall {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'tool_call';
}

/**
 * The outcome as LangChain expects a tool result: a `ToolMessage` (status `error` for outcomes that
 * are not ok, so providers that support it flag the result) when the call has an id, else the text.
 */
function toToolResult(outcome: ToolOutcome, name: string, toolCallId: string | undefined): WardenToolResult {
  const content = outcome.forModel();
  if (!toolCallId) return content;
  return new ToolMessage({
    status: outcome.ok ? 'success' : 'error',
    content,
    tool_call_id: toolCallId,
    name,
  });
}

/**
 * Call a warden tool through the current run. Throws outside `warden.run()` (the tool never runs
 * unguarded) and rethrows a `RunStop`, so the graph ends; everything else is a tool result.
 */
async function callThroughRun(name: string, rawArgs: unknown, toolCall: ToolCall | undefined) {
  const run = currentRun();
  const callId = toolCall?.id || undefined;
  const outcome = await run.tool(name, rawArgs, callId ? { callId } : {});
  return toToolResult(outcome, name, callId);
}

/**
 * A LangChain structured tool whose every call goes through `currentRun().tool(name, args)`: the
 * warden's allowlist, budgets, validation, rules, approvals, idempotency and resilience apply, and a
 * `execute_tool {name}` span is recorded under the run span.
 *
 * The warden validates the model's raw arguments itself. When LangChain's own schema check rejects
 * them first, the call is still handed to the warden, so the model gets the warden's
 * `invalid_arguments` text and the call is counted, audited and traced like any other.
 */
export class WardenLangChainTool<Schema extends z.ZodType = z.ZodType> extends DynamicStructuredTool<
  Schema,
  z.output<Schema>,
  z.input<Schema>,
  WardenToolResult
> {
  static override lc_name(): string {
    return 'WardenLangChainTool';
  }

  constructor(tool: AnyTool & { input: Schema }) {
    super({
      name: tool.name,
      description: tool.description,
      schema: tool.input,
      // The raw arguments the model sent (LangChain passes the tool call in the config); the warden
      // parses them itself, so a schema with transforms is not applied twice.
      func: (input, _runManager, config) => {
        const toolCall = (config as ToolRunnableConfig | undefined)?.toolCall;
        return callThroughRun(tool.name, toolCall ? toolCall.args : input, toolCall);
      },
    });
  }

  override async invoke<
    TInput extends StructuredToolCallInput<Schema, z.input<Schema>>,
    TConfig extends ToolRunnableConfig | undefined,
  >(input: TInput, config?: TConfig): Promise<ToolReturnType<TInput, TConfig, WardenToolResult>> {
    try {
      return await super.invoke(input, config);
    } catch (error) {
      if (!(error instanceof ToolInputParsingException)) throw error;
      const toolCall = isToolCall(input) ? input : config?.toolCall;
      const rawArgs = isToolCall(input) ? input.args : input;
      return (await callThroughRun(this.name, rawArgs, toolCall)) as ToolReturnType<
        TInput,
        TConfig,
        WardenToolResult
      >;
    }
  }
}

/**
 * LangChain tools for every tool of the warden, for LangGraph's `ToolNode`, `bindTools` and agents.
 * Each keeps the warden tool's name, description and zod schema, and runs through the current run:
 * an outcome that is not ok comes back as the tool result (its `forModel()` text), a `RunStop` is
 * rethrown. `ToolNode` turns thrown errors into tool messages, so also pass the run's signal to the
 * graph — `graph.invoke(input, { signal: run.signal, callbacks: [wardenCallbacks()] })` — to halt it.
 *
 * Calling one outside `warden.run()` throws: a guarded tool never runs unguarded.
 */
export function toLangChainTools<const TTools extends readonly AnyTool[]>(
  warden: Warden<TTools>,
): WardenLangChainTool[] {
  return warden.tools.map((tool) => new WardenLangChainTool(tool));
}
