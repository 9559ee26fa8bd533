import { StoreError } from '../../run/run.js';
import type { PipelineStep } from '../call.js';
import { fail } from '../outcome.js';
import { storeFailure } from './store-failure.js';

const MAX_LISTED_TOOLS = 20;

/** 1. The run may go on: not stopped, killed, aborted or out of time. */
export const runChecks: PipelineStep = {
  name: 'run-checks',
  async run(call) {
    const { run } = call;
    run.checkLocal();
    let kill: Awaited<ReturnType<typeof run.core.store.findKill>>;
    try {
      kill = await run.core.store.findKill(run.killScopes);
    } catch (error) {
      // The tool is not known yet (allowlist comes next), so a store outage fails every call closed here.
      const outcome = storeFailure(call, 'findKill', error, { allowFailOpen: false });
      const tool = run.core.registry.get(call.name);
      if (tool?.effect === 'read' && run.core.store.failOpen?.reads === true) return undefined;
      return outcome;
    }
    run.afterKillLookup(kill);
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

/** 3. The run (and scoped) tool-call budgets allow one more call. */
export const toolCallBudget: PipelineStep = {
  name: 'tool-call-budget',
  async run(call) {
    const { run } = call;
    const used = run.counters.toolCalls;
    if (used >= run.limits.toolCalls) run.exceed('toolCalls', 'run', run.limits.toolCalls, used);
    if (run.scoped.limits('toolCalls')) {
      let reserved: Awaited<ReturnType<typeof run.reserveScoped>>;
      try {
        reserved = await run.reserveScoped({ toolCalls: 1 }, { storeErrors: 'throw' });
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        const outcome = storeFailure(call, 'reserve', error.cause, { allowFailOpen: true });
        if (outcome) return outcome;
        reserved = { reservationId: '', reservation: null };
      }
      const { reservationId, reservation } = reserved;
      if (reservationId) {
        call.finalizers.push(() =>
          run.settleScoped(reservationId, reservation, { toolCalls: Math.max(1, call.attempts) }),
        );
      }
    }
    run.add({ toolCalls: 1 });
    return undefined;
  },
};
