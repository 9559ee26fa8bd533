import { tool as agentsTool, type FunctionTool, type RunContext, UserError } from '@openai/agents';
import { currentRun, type Warden } from '../../index.js';
import { checkStrictOption, selectTools, strictModeError } from '../shared/offered-tools.js';
import { type AgentsToolCallDetails, withInvocation } from './invocation.js';
import { agentsParameters } from './parameters.js';

/** Options of {@link toAgentsTools}. */
export interface AgentsToolsOptions {
  /**
   * Offer only these tools (names registered with the warden) — typically the run's `tools`
   * narrowing, so the model is not shown tools the run would refuse. An unknown name is a
   * `WardenConfigError`.
   * @default every tool of the warden, in registration order
   */
  tools?: readonly string[];
  /**
   * Strict mode (Structured Outputs) for the arguments. `'auto'`: strict when the SDK can convert
   * the tool's schema to OpenAI's strict subset (optional properties become required and nullable;
   * the SDK drops the `null`s again before the warden sees the arguments), else not strict. `true`:
   * every tool must convert, or a `WardenConfigError` names the tool and the SDK's reason. `false`:
   * never strict. The warden validates every call against the zod schema either way.
   * @default 'auto'
   */
  strict?: 'auto' | boolean;
}

/** A warden, or anything else that holds the tools to offer. */
export type AgentsToolSource = Pick<Warden, 'tools'>;

/**
 * An Agents SDK function tool whose every call goes through the current warden run. `TContext` is
 * the agent's context type; the tools never read the context, so by default they fit any agent.
 */
export type GuardedAgentsTool<TContext = any> = FunctionTool<TContext, any, unknown>;

/**
 * Agents SDK tools for a warden's tools: pass them as an `Agent`'s `tools`.
 *
 * Each call the SDK makes runs `currentRun().tool(name, input, { callId })`: the whole guard pipeline
 * (allowlist and the run's narrowing, tool-call budget, zod schema, rules, loop detection, approval,
 * idempotency, audit, breaker, timeout and retries) under an `execute_tool` span, with the SDK's
 * `callId`. A value is returned as the tool result; a refused or failed call returns its `forModel()`
 * text, so the model sees why and can re-plan. A `RunStop` is rethrown — the tools are made with
 * `errorFunction: null`, so the SDK does not turn it into a tool result — and ends the SDK run
 * (`warden.run()` then returns `stopped`). Calling one outside `warden.run()` throws.
 *
 * The tools never use the SDK's own `needsApproval`: the warden's signed approval tokens are the
 * authority (see docs/adapters/openai-agents.md).
 *
 * @example
 * ```ts
 * const agent = new Agent({ name: 'support', model: wardenModel(model, { model: 'gpt-4.1' }), tools: toAgentsTools(warden) });
 * const result = await warden.run({ userId }, (run) => runAgent(agent, input, { signal: run.signal }));
 * ```
 */
export function toAgentsTools<TContext = any>(
  source: AgentsToolSource,
  options: AgentsToolsOptions = {},
): GuardedAgentsTool<TContext>[] {
  const fn = 'toAgentsTools';
  const mode = checkStrictOption(options.strict, fn);
  return selectTools(source?.tools, options.tools, fn).map((tool) => {
    const { parameters, strictProblem } = agentsParameters(tool, fn);
    if (mode === true && strictProblem) throw strictModeError(fn, tool.name, strictProblem);
    const make = (strict: boolean): GuardedAgentsTool<TContext> =>
      agentsTool({
        name: tool.name,
        description: tool.description,
        // A fresh copy each time: the SDK rewrites strict schemas in place.
        parameters: structuredClone(parameters) as never,
        strict: strict as true,
        needsApproval: false,
        // A RunStop (or a missing run) must end the SDK run, never become a tool result.
        errorFunction: null,
        execute: (input: unknown, runContext?: RunContext<unknown>, details?: unknown) =>
          callGuarded(tool.name, input, runContext, details as AgentsToolCallDetails | undefined),
      }) as unknown as GuardedAgentsTool<TContext>;
    if (mode === false || strictProblem) return make(false);
    try {
      return make(true);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      if (mode === true) throw strictModeError(fn, tool.name, error.message, error);
      return make(false);
    }
  });
}

/** One SDK tool call through the current run's guard pipeline. */
async function callGuarded(
  name: string,
  input: unknown,
  runContext: RunContext<unknown> | undefined,
  details: AgentsToolCallDetails | undefined,
): Promise<unknown> {
  const run = currentRun();
  const callId = details?.toolCall?.callId;
  const outcome = await withInvocation({ runContext, details }, () =>
    run.tool(name, input, typeof callId === 'string' && callId.length > 0 ? { callId } : {}),
  );
  return outcome.ok ? outcome.value : outcome.forModel();
}
