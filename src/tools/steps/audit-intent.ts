import { argsHashOf } from '../args-hash.js';
import type { PipelineStep, ToolCall } from '../call.js';
import { fail, type ToolOutcome } from '../outcome.js';

function unavailable(call: ToolCall): ToolOutcome {
  return fail(
    'audit_unavailable',
    `${call.tool!.name}: the audit trail cannot be written, so this action was not taken; try again later.`,
    call.callId,
  );
}

/**
 * 9. Write tools: the intent reaches the audit sink before `execute`, or the tool does not run. With
 * neither a sink nor `onEvent` nobody receives the event, and it is not built.
 */
export const auditIntent: PipelineStep = {
  name: 'audit-intent',
  run(call) {
    const tool = call.tool!;
    const { run } = call;
    const audit = run.core.audit;
    if (tool.effect !== 'write' || !audit.active) return undefined;
    let written: Promise<void> | undefined;
    try {
      written = audit.emitStrict(run.identity, {
        type: 'tool_intent',
        tool: tool.name,
        callId: call.callId,
        argsHash: argsHashOf(call)!,
        ...(call.idempotencyKey ? { idempotencyKey: call.idempotencyKey } : {}),
        effect: tool.effect,
      });
    } catch {
      return unavailable(call);
    }
    return written?.then(
      () => undefined,
      () => unavailable(call),
    );
  },
};
