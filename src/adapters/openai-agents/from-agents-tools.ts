import { type Tool as AgentsTool, type FunctionTool, RunContext } from '@openai/agents';
import { z } from 'zod';
import {
  type AnyTool,
  type ApprovalLevel,
  defineTool,
  type RuleContext,
  type ToolDefinition,
  WardenConfigError,
} from '../../index.js';
import { currentInvocation } from './invocation.js';

type Args = Record<string, any>;
type Definition = ToolDefinition<z.ZodType<Args>, unknown>;

/** Guard options added to an Agents SDK tool by {@link fromAgentsTools}. */
export type AgentsToolOverride = Partial<
  Pick<
    Definition,
    | 'effect'
    | 'approval'
    | 'rules'
    | 'timeoutMs'
    | 'retry'
    | 'breaker'
    | 'idempotency'
    | 'output'
    | 'summarize'
    | 'fallback'
  >
> & {
  /**
   * The zod schema the warden validates arguments with. The SDK's `FunctionTool` keeps only the JSON
   * Schema of its parameters, so by default the warden validates against a zod schema built from it
   * (`z.fromJSONSchema`); pass the tool's original zod schema here for exact messages and types.
   * @default z.fromJSONSchema(tool.parameters)
   */
  input?: z.ZodType<Args>;
};

/** Guard options by tool name. */
export type AgentsToolOverrides = Readonly<Record<string, AgentsToolOverride>>;

const OVERRIDE_KEYS = new Set([
  'input',
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
]);

type AnyFunctionTool = FunctionTool<any, any, any>;

/**
 * Warden tool definitions from existing Agents SDK function tools (made with `tool({ ... })`), so a
 * team keeps the tools it has and adds guards: pass the result to `createWarden({ tools })` and give
 * the agent `toAgentsTools(warden)`.
 *
 * Name and description are kept. Arguments are validated against `overrides[name].input`, or a zod
 * schema built from the tool's JSON Schema. The handler calls the original tool's `invoke` with the
 * validated arguments, the SDK's `RunContext` and call details when the call came through
 * `toAgentsTools` (a fresh `RunContext` otherwise), and the attempt's abort signal.
 *
 * The SDK's `needsApproval` becomes the warden's `approval: 'confirm'`, unless `overrides` sets
 * `approval`: a policy without parameters (`needsApproval: true` / `false`) is read once, here — the
 * reason this function is async — and a policy function of the arguments is asked on every call.
 * Tools default to `effect: 'write'` (idempotent, never auto-retried): mark read-only tools
 * `effect: 'read'` in `overrides`.
 *
 * Rejects with a `WardenConfigError` for a tool that is not a function tool, a name in `overrides`
 * that is not one of the tools, or an unknown override option.
 *
 * @example
 * ```ts
 * const tools = await fromAgentsTools([searchDocs, refundOrder], {
 *   search_docs: { effect: 'read' },
 *   refund_order: { rules: [(a) => a.amount <= 100 || 'refunds over $100 need a human'] },
 * });
 * const warden = createWarden({ tools, approvals: { secret } });
 * ```
 */
export async function fromAgentsTools(
  tools: readonly AgentsTool<any>[],
  overrides: AgentsToolOverrides = {},
): Promise<AnyTool[]> {
  const fn = 'fromAgentsTools';
  if (!Array.isArray(tools)) {
    throw new WardenConfigError({ path: `${fn}(tools)`, message: 'expected an array of Agents SDK tools' });
  }
  if (typeof overrides !== 'object' || overrides === null) {
    throw new WardenConfigError({
      path: `${fn}(overrides)`,
      message: 'expected { [toolName]: guard options }',
    });
  }
  const functionTools = tools.map((t, i): AnyFunctionTool => {
    if (t?.type !== 'function' || typeof (t as AnyFunctionTool).invoke !== 'function') {
      throw new WardenConfigError({
        path: `${fn}(tools)[${i}]`,
        message:
          `'${String(t?.name)}' is a ${String(t?.type)} tool; only function tools made with tool({ ... }) ` +
          'run in-process where the warden can guard them',
      });
    }
    return t as AnyFunctionTool;
  });
  checkOverrides(functionTools, overrides, fn);
  return Promise.all(
    functionTools.map(async (t) => {
      const own = Object.hasOwn(overrides, t.name) ? overrides[t.name] : undefined;
      const { input: inputOverride, approval: approvalOverride, ...guards } = own ?? {};
      const input = inputOverride ?? zodFromParameters(t, fn);
      return defineTool({
        name: t.name,
        description: t.description,
        ...guards,
        input,
        approval: approvalOverride ?? (await approvalOf(t)),
        execute: (args: Args, ctx) => invokeOriginal(t, args, ctx.signal),
      } as ToolDefinition<z.ZodType<Args>, unknown> & { name: string });
    }),
  );
}

function checkOverrides(tools: readonly AnyFunctionTool[], overrides: AgentsToolOverrides, fn: string): void {
  const names = new Set(tools.map((t) => t.name));
  const unknown = Object.keys(overrides).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new WardenConfigError({
      path: `${fn}(overrides)`,
      message:
        `${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the tools; ` +
        `the tools are: ${[...names].join(', ') || '(none)'}`,
    });
  }
  for (const [name, options] of Object.entries(overrides)) {
    if (typeof options !== 'object' || options === null) {
      throw new WardenConfigError({
        path: `${fn}(overrides).${name}`,
        message: 'expected an object of guard options',
      });
    }
    for (const key of Object.keys(options)) {
      if (!OVERRIDE_KEYS.has(key)) {
        throw new WardenConfigError({
          path: `${fn}(overrides).${name}.${key}`,
          message: `unknown option; expected one of ${[...OVERRIDE_KEYS].join(', ')}`,
        });
      }
    }
  }
}

/** A zod schema for the tool's JSON Schema parameters. */
function zodFromParameters(t: AnyFunctionTool, fn: string): z.ZodType<Args> {
  try {
    return z.fromJSONSchema(
      structuredClone(t.parameters) as Parameters<typeof z.fromJSONSchema>[0],
    ) as z.ZodType<Args>;
  } catch (error) {
    throw new WardenConfigError({
      path: `${fn}(overrides).${t.name}.input`,
      message:
        `the tool's JSON Schema could not be turned into a zod schema (${(error as Error).message}); ` +
        'pass the original zod schema as overrides.input',
      cause: error,
    });
  }
}

/** The warden's `approval` for the SDK tool's `needsApproval` policy. */
async function approvalOf(t: AnyFunctionTool): Promise<Definition['approval']> {
  const policy: unknown = t.needsApproval;
  if (typeof policy !== 'function') return policy === true ? 'confirm' : 'none';
  // `needsApproval: true | false` is stored as a policy without parameters: read it once.
  if (policy.length === 0) return (await policy()) ? 'confirm' : 'none';
  return async (args: Args, ctx: RuleContext): Promise<ApprovalLevel> => {
    const runContext = currentInvocation()?.runContext ?? new RunContext();
    return (await t.needsApproval(runContext, args as never, ctx.callId)) ? 'confirm' : 'none';
  };
}

/** Call the original tool with validated arguments, the SDK context when there is one, and the attempt's signal. */
function invokeOriginal(t: AnyFunctionTool, args: Args, signal: AbortSignal): Promise<unknown> {
  const invocation = currentInvocation();
  const sdkSignal = invocation?.details?.signal;
  const details = {
    ...(invocation?.details?.toolCall ? { toolCall: invocation.details.toolCall } : {}),
    signal: sdkSignal ? AbortSignal.any([signal, sdkSignal]) : signal,
  };
  return t.invoke(invocation?.runContext ?? new RunContext(), JSON.stringify(args ?? {}), details as never);
}
