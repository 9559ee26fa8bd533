import { fail } from '../outcome.js';
import type { PipelineStep } from '../call.js';

const MAX_LISTED_TOOLS = 20;

/** 1. The run may go on: not stopped, killed, aborted or out of time. */
export const runChecks: PipelineStep = {
  name: 'run-checks',
  async run(call) {
    await call.run.check();
    return undefined;
  },
};

/** 2. The tool is registered and in the run's scope (own-property lookup only). */
export const allowlist: PipelineStep = {
  name: 'allowlist',
  run(call) {
    const { run, name } = call;
    const tool = typeof name === 'string' ? run.core.registry.get(name) : undefined;
    if (tool && (run.allowed === null || run.allowed.has(tool.name))) {
      call.tool = tool;
      return undefined;
    }
    const available = (run.allowed ? [...run.allowed] : run.core.registry.names).slice(0, MAX_LISTED_TOOLS);
    const shown = typeof name === 'string' ? name.slice(0, 64) : String(name);
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

/** 3. The run (and scoped) tool-call budgets allow one more call. */
export const toolCallBudget: PipelineStep = {
  name: 'tool-call-budget',
  async run(call) {
    const { run } = call;
    const used = run.counters.toolCalls;
    if (used >= run.limits.toolCalls) run.exceed('toolCalls', 'run', run.limits.toolCalls, used);
    if (run.scoped.limits('toolCalls')) {
      const { reservationId, reservation } = await run.reserveScoped({ toolCalls: 1 });
      call.finalizers.push(() => run.settleScoped(reservationId, reservation, { toolCalls: Math.max(1, call.attempts) }));
    }
    run.add({ toolCalls: 1 });
    return undefined;
  },
};
