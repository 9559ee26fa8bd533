import { argsHashOf } from '../args-hash.js';
import type { PipelineStep } from '../call.js';
import { fail } from '../outcome.js';

/** 9. Write tools: the intent reaches the audit sink before `execute`, or the tool does not run. */
export const auditIntent: PipelineStep = {
  name: 'audit-intent',
  async run(call) {
    const tool = call.tool!;
    if (tool.effect !== 'write') return undefined;
    const { run } = call;
    try {
      await run.core.audit.emitStrict(run.identity, {
        type: 'tool_intent',
        tool: tool.name,
        callId: call.callId,
        argsHash: argsHashOf(call)!,
        ...(call.idempotencyKey ? { idempotencyKey: call.idempotencyKey } : {}),
        effect: tool.effect,
      });
      return undefined;
    } catch {
      return fail(
        'audit_unavailable',
        `${tool.name}: the audit trail cannot be written, so this action was not taken; try again later.`,
        call.callId,
      );
    }
  },
};
