import type { FlexibleSchema, InferToolInput, InferToolOutput, ToolSet } from 'ai';
import type { z } from 'zod';
import { type ApprovalLevel, type Tool, type ToolDefinition, WardenConfigError } from '../../index.js';
import { defineFrameworkTool } from '../shared/framework-tool.js';
import { checkOverrides, type GuardOverrides } from '../shared/overrides.js';
import { executionOptionsFor } from './execution-options.js';
import { zodInputOf } from './input-schema.js';
import { withOrigin } from './origin.js';

/**
 * Guard options for one tool, typed by the tool's input and output; everything else comes from the
 * AI SDK tool. See `defineTool`.
 */
export type AiSdkToolGuards<Args = any, Output = any> = GuardOverrides<Args, Output>;

/** Guard options by tool name; only names of the tool set are accepted. */
export type AiSdkToolOverrides<TOOLS extends ToolSet> = {
  readonly [K in keyof TOOLS]?: AiSdkToolGuards<InferToolInput<TOOLS[K]>, InferToolOutput<TOOLS[K]>>;
};

/** The warden tools made from a tool set: one per key, named by the key. */
export type AiSdkWardenTools<TOOLS extends ToolSet> = Array<
  {
    [K in keyof TOOLS & string]: Tool<z.ZodType<InferToolInput<TOOLS[K]>>, InferToolOutput<TOOLS[K]>, K>;
  }[keyof TOOLS & string]
>;

type AnyAiSdkTool = ToolSet[string];

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/** A streaming tool's final value (its last yield), as the AI SDK hands it to the model. */
async function finalValue(result: unknown): Promise<unknown> {
  if (!isAsyncIterable(result)) return result;
  let last: unknown;
  for await (const value of result) last = value;
  return last;
}

/** The AI SDK's deprecated tool-level `needsApproval`, as the warden's `approval` (fail closed: kept). */
function approvalOf(tool: AnyAiSdkTool): ToolDefinition['approval'] | undefined {
  const needs = tool.needsApproval;
  if (needs === undefined || needs === false) return undefined;
  if (needs === true) return 'confirm';
  if (typeof needs !== 'function') return undefined;
  return async (args, ctx): Promise<ApprovalLevel> => {
    const { toolCallId, messages, context } = executionOptionsFor(ctx.callId);
    return (await needs(args, { toolCallId, messages, context })) ? 'confirm' : 'none';
  };
}

function convert(name: string, tool: AnyAiSdkTool, guards: AiSdkToolGuards | undefined) {
  const at = `fromAiSdkTools(toolSet).${name}`;
  if (typeof tool !== 'object' || tool === null) {
    throw new WardenConfigError({ path: at, message: 'expected an AI SDK tool, e.g. tool({ ... })' });
  }
  if (tool.type === 'provider') {
    throw new WardenConfigError({
      path: `${at}.type`,
      message: "provider tools ('provider') are defined or run by the provider and cannot be guarded",
    });
  }
  const execute = tool.execute;
  if (typeof execute !== 'function') {
    throw new WardenConfigError({
      path: `${at}.execute`,
      message: 'the tool has no execute function, so there is nothing in this process to guard',
    });
  }
  if (tool.description !== undefined && typeof tool.description !== 'string') {
    throw new WardenConfigError({
      path: `${at}.description`,
      message: 'expected a string (a description computed from context is not supported)',
    });
  }
  const inputSchema = tool.inputSchema as FlexibleSchema<unknown>;
  if (inputSchema === null || (typeof inputSchema !== 'object' && typeof inputSchema !== 'function')) {
    throw new WardenConfigError({
      path: `${at}.inputSchema`,
      message: 'expected a zod schema, a Standard Schema or jsonSchema(...)',
    });
  }
  const approval = approvalOf(tool);
  const base = withOrigin(
    {
      name,
      description: tool.description ?? '',
      input: zodInputOf(inputSchema),
      ...(approval ? { approval } : {}),
      execute: async (args: unknown, ctx: { callId: string; signal: AbortSignal }) =>
        finalValue(await execute(args, executionOptionsFor(ctx.callId, ctx.signal))),
    },
    {
      inputSchema,
      ...(tool.providerOptions !== undefined ? { providerOptions: tool.providerOptions } : {}),
      ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
      ...(tool.inputExamples !== undefined ? { inputExamples: tool.inputExamples } : {}),
      ...(tool.metadata !== undefined ? { metadata: tool.metadata } : {}),
    },
  );
  return defineFrameworkTool(base, guards, 'fromAiSdkTools(toolSet)');
}

/**
 * Warden tool definitions from an AI SDK `ToolSet`, so a team keeps the tools it has: the name is
 * the key, `description` and `execute` are kept, and the input is validated by the warden with the
 * tool's own `inputSchema` (zod 4 directly; any other schema through its AI SDK `validate`).
 *
 * Guard options (`effect`, `approval`, `rules`, `timeoutMs`, `retry`, `breaker`, `idempotency`,
 * `output`, `summarize`, `fallback`) are added per tool through `overrides`. Tools default to
 * `effect: 'write'` like every warden tool: mark the read-only ones `'read'`. A tool's deprecated
 * `needsApproval` becomes `approval: 'confirm'` unless `overrides` sets `approval`.
 *
 * @example
 * ```ts
 * const warden = createWarden({
 *   tools: fromAiSdkTools({ getWeather, sendEmail }, {
 *     getWeather: { effect: 'read' },
 *     sendEmail: { rules: [(a) => a.to.endsWith('@acme.com') || 'only internal addresses'] },
 *   }),
 * });
 * ```
 *
 * @throws WardenConfigError for a name in `overrides` that is not in the tool set (naming it), an
 *   unknown guard option, a tool without `execute`, a provider tool, or a malformed tool.
 */
export function fromAiSdkTools<TOOLS extends ToolSet>(
  toolSet: TOOLS,
  overrides: AiSdkToolOverrides<TOOLS> = {},
): AiSdkWardenTools<TOOLS> {
  if (typeof toolSet !== 'object' || toolSet === null || Array.isArray(toolSet)) {
    throw new WardenConfigError({
      path: 'fromAiSdkTools(toolSet)',
      message: 'expected an AI SDK ToolSet: { [name]: tool({ description, inputSchema, execute }) }',
    });
  }
  const guards = checkOverrides<AiSdkToolGuards>(
    overrides,
    Object.keys(toolSet),
    'fromAiSdkTools(overrides)',
  );
  return Object.entries(toolSet).map(([name, tool]) =>
    convert(name, tool, guards.get(name)),
  ) as unknown as AiSdkWardenTools<TOOLS>;
}
