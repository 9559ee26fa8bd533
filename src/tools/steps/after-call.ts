import type { Reservation, SettlePlan as Settlement } from '../../budget/scoped.js';
import { storeErrorEvent } from '../../run/before-call.js';
import { type AfterCallResult, afterCall } from '../../store/batch.js';
import type { AfterCallRequest } from '../../store/types.js';
import { ATTR, SPAN_EVENT } from '../../telemetry/attributes.js';
import type { ToolCall } from '../call.js';
import type { ToolOutcome } from '../outcome.js';
import { type HeldClaim, settleClaim } from './idempotency.js';

/** The store work due once a call's outcome is known. */
export interface AfterWork {
  /** The scoped tool-call reservation, settled with the attempts made (at least 1). */
  settle?: Reservation;
  /** The idempotency claim, completed or released. */
  claim?: HeldClaim;
}

/** The call's after-work; the pipeline runs it once the outcome is known ({@link finishStoreWork}). */
function work(call: ToolCall): AfterWork {
  call.after ??= {};
  return call.after;
}

/** Settle this reservation after the call. */
export function settleAfterCall(call: ToolCall, reservation: Reservation): void {
  work(call).settle = reservation;
}

/** Complete or release this claim after the call. */
export function completeAfterCall(call: ToolCall, claim: HeldClaim): void {
  work(call).claim = claim;
}

/**
 * After the call, in one store round trip: settle the tool-call reservation and complete (or release)
 * the idempotency claim. A settlement that could not be written is recorded on the run's span
 * (`warden.store_error`); a completion that could not be written is thrown, which records it on the
 * call's span. Neither changes the outcome.
 */
export function finishStoreWork(call: ToolCall, outcome: ToolOutcome | null): Promise<void> | undefined {
  const { run } = call;
  const { settle, claim } = call.after ?? {};
  const settlement = settle
    ? run.scoped.settlement(settle.id, settle, { toolCalls: Math.max(1, call.attempts) })
    : null;
  const request: AfterCallRequest = claim ? settleClaim(call, outcome, claim) : {};
  if (settlement) request.settle = settlement.request;
  const answer = afterCall(run.core.store, request);
  // An in-process store answers in the same tick: then only a settlement has more to wait for.
  return answer instanceof Promise
    ? answer.then((settled) => actOnAnswer(call, settlement, claim, settled))
    : actOnAnswer(call, settlement, claim, answer);
}

function actOnAnswer(
  call: ToolCall,
  settlement: Settlement | null,
  claim: HeldClaim | undefined,
  answer: AfterCallResult,
): Promise<void> | undefined {
  if (answer.complete?.status === 'fulfilled' && !answer.complete.value && claim) {
    call.span.span.addEvent(SPAN_EVENT.IDEMPOTENCY_FENCED, { [ATTR.WARDEN_IDEMPOTENCY_KEY]: claim.key });
  }
  const failed = answer.complete ?? answer.release;
  const warned = settlement && answer.settle ? warnAfterSettle(call, settlement, answer.settle) : undefined;
  if (failed?.status === 'rejected') {
    if (!warned) throw failed.reason;
    return warned.then(() => {
      throw failed.reason;
    });
  }
  return warned;
}

/** A settled reservation past its warning ratio warns; a settlement that failed is recorded on the run's span. */
async function warnAfterSettle(
  call: ToolCall,
  settlement: Settlement,
  settled: NonNullable<AfterCallResult['settle']>,
): Promise<void> {
  const { run } = call;
  try {
    if (settled.status === 'rejected') throw settled.reason;
    // Only a budget past its warning ratio costs another store call (once per window).
    await run.warnScoped(run.scoped.levels(settlement, settled.value));
  } catch (error) {
    storeErrorEvent(run.span, 'settle', error);
  }
}
