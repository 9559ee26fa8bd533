import { type Tool as AgentsTool, type FunctionTool, RunContext } from '@openai/agents';
import type { z } from 'zod';
import {
  type AnyTool,
  type ApprovalLevel,
  type RuleContext,
  type ToolDefinition,
  WardenConfigError,
} from '../../index.js';
import { defineFrameworkTool, zodFromJsonSchema } from '../shared/framework-tool.js';
import { checkOverrides, type GuardOverrides } from '../shared/overrides.js';
import { linkSignals } from '../shared/signals.js';
import { currentInvocation } from './invocation.js';

type Args = Record<string, any>;
type Definition = ToolDefinition<z.ZodType<Args>, unknown>;

/** Guard options added to an Agents SDK tool by {@link fromAgentsTools}. */
export type AgentsToolOverride = GuardOverrides<Args, unknown> & {
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
  const byName = checkOverrides<AgentsToolOverride>(
    overrides,
    functionTools.map((t) => t.name),
    `${fn}(overrides)`,
    ['input'],
  );
  return Promise.all(
    functionTools.map(async (t, i) => {
      const { input, approval, ...guards } = byName.get(t.name) ?? {};
      return defineFrameworkTool(
        {
          name: t.name,
          description: t.description,
          input:
            input ??
            zodFromJsonSchema(
              t.parameters,
              `${fn}(overrides).${t.name}.input`,
              'pass the original zod schema as overrides.input',
            ),
          approval: approval ?? (await approvalOf(t)),
          execute: (args: Args, ctx) => invokeOriginal(t, args, ctx.signal),
        },
        guards,
        `${fn}(tools)[${i}]`,
      );
    }),
  );
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
  const details = {
    ...(invocation?.details?.toolCall ? { toolCall: invocation.details.toolCall } : {}),
    signal: linkSignals(signal, invocation?.details?.signal),
  };
  return t.invoke(invocation?.runContext ?? new RunContext(), JSON.stringify(args ?? {}), details as never);
}
