import type { FlexibleSchema, InferToolInput, InferToolOutput, ToolSet } from 'ai';
import type { z } from 'zod';
import { WardenConfigError } from '../../errors.js';
import { type ApprovalLevel, defineTool, type Tool, type ToolDefinition } from '../../tools/define-tool.js';
import { executionOptionsFor } from './execution-options.js';
import { zodInputOf } from './input-schema.js';
import { withOrigin } from './origin.js';

/** The guard options `overrides` may set on a tool; everything else comes from the AI SDK tool. */
export const GUARD_OPTIONS = Object.freeze([
  'effect',
  'approval',
  'rules',
  'timeoutMs',
  'retry',
  'breaker',
  'idempotency',
  'output',
  'summarize',
  'fallback',
] as const);

/** Guard options for one tool, typed by the tool's input and output. See `defineTool`. */
export type AiSdkToolGuards<Args = any, Output = any> = Pick<
  ToolDefinition<z.ZodType<Args>, Output>,
  (typeof GUARD_OPTIONS)[number]
>;

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

function checkOverrides(toolSet: ToolSet, overrides: unknown): Record<string, Record<string, unknown>> {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new WardenConfigError({
      path: 'fromAiSdkTools(overrides)',
      message: 'expected { [toolName]: { effect?, approval?, rules?, ... } }',
    });
  }
  const names = Object.keys(toolSet);
  const unknown = Object.keys(overrides).filter((name) => !Object.hasOwn(toolSet, name));
  if (unknown.length > 0) {
    throw new WardenConfigError({
      path: `fromAiSdkTools(overrides).${unknown[0]}`,
      message:
        `${unknown.map((name) => `'${name}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the tool set; ` +
        `its tools are: ${names.join(', ') || '(none)'}`,
    });
  }
  for (const [name, guards] of Object.entries(overrides)) {
    if (guards === undefined) continue;
    if (typeof guards !== 'object' || guards === null || Array.isArray(guards)) {
      throw new WardenConfigError({
        path: `fromAiSdkTools(overrides).${name}`,
        message: `expected an object with some of: ${GUARD_OPTIONS.join(', ')}`,
      });
    }
    for (const key of Object.keys(guards)) {
      if (!(GUARD_OPTIONS as readonly string[]).includes(key)) {
        throw new WardenConfigError({
          path: `fromAiSdkTools(overrides).${name}.${key}`,
          message: `not a guard option; accepted: ${GUARD_OPTIONS.join(', ')}`,
        });
      }
    }
  }
  return overrides as Record<string, Record<string, unknown>>;
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

function convert(name: string, tool: AnyAiSdkTool, guards: Record<string, unknown> | undefined) {
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
  const definition = withOrigin(
    {
      name,
      description: tool.description ?? '',
      input: zodInputOf(inputSchema),
      ...(approval ? { approval } : {}),
      ...guards,
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
  return defineTool(definition as ToolDefinition & { name: string });
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
  const guards = checkOverrides(toolSet, overrides);
  return Object.entries(toolSet).map(([name, tool]) =>
    convert(name, tool, Object.hasOwn(guards, name) ? guards[name] : undefined),
  ) as unknown as AiSdkWardenTools<TOOLS>;
}
