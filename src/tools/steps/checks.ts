import type { PipelineStep, ToolCall } from '../call.js';
import { fail, type ToolOutcome } from '../outcome.js';
import { deferKillCheck, deferToolCall, flushFirst } from './prechecks.js';

const MAX_LISTED_TOOLS = 20;

/**
 * 1. The run may go on: not stopped, aborted or out of time (checked here), and not killed (looked up in
 * the store with the call's first round trip; see prechecks.ts).
 */
export const runChecks: PipelineStep = {
  name: 'run-checks',
  run(call) {
    call.run.checkLocal();
    deferKillCheck(call);
    return undefined;
  },
};

/** 2. The tool is registered and in the run's scope (own-property lookup only). */
export const allowlist: PipelineStep = {
  name: 'allowlist',
  run(call) {
    const { run, name } = call;
    const tool = run.core.registry.get(name);
    if (tool && (run.allowed === null || run.allowed.has(tool.name))) {
      call.tool = tool;
      return undefined;
    }
    const available = (run.allowed ? [...run.allowed] : run.core.registry.names).slice(0, MAX_LISTED_TOOLS);
    const shown = name.slice(0, 64);
    return fail(
      'tool_not_allowed',
      `tool '${shown}' is not available here. ` +
        (available.length > 0
          ? `Use one of: ${available.join(', ')}; or answer without a tool.`
          : 'No tools are available; answer without a tool.'),
      call.callId,
      { tool: shown },
    );
  },
};

/**
 * 3. The run (and scoped) tool-call budgets allow one more call. The run's count is checked and taken
 * here; the scoped reservation goes with the call's first store round trip (see prechecks.ts).
 */
export const toolCallBudget: PipelineStep = {
  name: 'tool-call-budget',
  run(call) {
    const { run } = call;
    const used = run.counters.toolCalls;
    if (used >= run.limits.toolCalls) return exceeded(call, used);
    deferToolCall(call, run.scoped.limits('toolCalls'));
    return undefined;
  },
};

async function exceeded(call: ToolCall, used: number): Promise<ToolOutcome> {
  const { run } = call;
  // The kill switch comes first.
  const outcome = await flushFirst(call);
  if (outcome) return outcome;
  return run.exceed('toolCalls', 'run', run.limits.toolCalls, used);
}
