import { ATTR, SPAN_EVENT } from '../../telemetry/attributes.js';
import type { ToolCall } from '../call.js';
import { fail, type ToolOutcome } from '../outcome.js';

/**
 * The outcome of a store operation that failed during a tool call: write
 * tools fail closed with `store_unavailable`; read tools go on only when the
 * store is marked `failOpen: { reads: true }` and the step allows it.
 * Returns undefined when the call may go on.
 */
export function storeFailure(
  call: ToolCall,
  operation: string,
  error: unknown,
  { allowFailOpen }: { allowFailOpen: boolean },
): ToolOutcome | undefined {
  const { run } = call;
  const read = call.tool?.effect === 'read';
  call.span.span.addEvent(SPAN_EVENT.STORE_ERROR, {
    [ATTR.WARDEN_STORE_OPERATION]: operation,
    [ATTR.EXCEPTION_MESSAGE]: error instanceof Error ? error.message : String(error),
  });
  if (allowFailOpen && read && run.core.store.failOpen?.reads === true) return undefined;
  return fail(
    'store_unavailable',
    `${call.tool?.name ?? call.name}: the guard's shared state is unavailable, so the call was not made; try again later.`,
    call.callId,
    { operation },
  );
}
