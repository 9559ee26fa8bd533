import type { Amounts, Reservation, ReservePlan } from '../budget/scoped.js';
import { afterCall, type BeforeCallResult, beforeCall } from '../store/batch.js';
import type { AfterCallRequest, ClaimRequest } from '../store/types.js';
import { ATTR, SPAN_EVENT } from '../telemetry/attributes.js';
import type { SpanHandle } from '../telemetry/span.js';
import type { RunImpl } from './run.js';

/** What a call's first store round trip asked for. */
export interface BeforeCallSent {
  plan: ReservePlan | null;
  claim?: ClaimRequest;
}

/** Records a store failure on `span` (`warden.store_error`). */
export function storeErrorEvent(span: SpanHandle, operation: string, error: unknown): void {
  span.span.addEvent(SPAN_EVENT.STORE_ERROR, {
    [ATTR.WARDEN_STORE_OPERATION]: operation,
    [ATTR.EXCEPTION_MESSAGE]: error instanceof Error ? error.message : String(error),
  });
}

/**
 * Give back what the first round trip granted but the call will not use, because an earlier part of
 * it stopped the call (a kill, a refused budget, a failed store): the reservation is settled with
 * nothing spent and the claim released, together in one round trip. Failures are recorded on `span`;
 * what could not be given back ends with its lease.
 */
export async function undoBeforeCall(
  run: RunImpl,
  span: SpanHandle,
  sent: BeforeCallSent,
  answer: BeforeCallResult,
): Promise<void> {
  const request: AfterCallRequest = {};
  const { plan, claim } = sent;
  if (plan && answer.reserve?.status === 'fulfilled' && answer.reserve.value.ok) {
    request.settle = run.scoped.settlement(plan.reservation.id, plan.reservation, {})!.request;
  }
  if (claim && answer.claim?.status === 'fulfilled' && answer.claim.value.status === 'claimed') {
    request.release = { key: claim.key, owner: claim.owner, fence: answer.claim.value.fence };
  }
  if (!request.settle && !request.release) return;
  const undone = await afterCall(run.core.store, request);
  for (const [operation, result] of Object.entries(undone)) {
    if (result?.status === 'rejected') storeErrorEvent(span, operation, result.reason);
  }
}

/**
 * Before a model call: the kill lookup and the scoped reservation of `amounts`, in one store round
 * trip, acted on in that order — killed → RunStop `killed`; kill switch unreadable → RunStop
 * `store_unavailable` (`findKill`); reservation refused → RunStop `budget_exceeded`; failed → RunStop
 * `store_unavailable` (`reserve`). Whatever was granted is given back before a stop is thrown.
 */
export async function checkAndReserve(
  run: RunImpl,
  amounts: Amounts,
): Promise<{ reservationId: string; reservation: Reservation | null }> {
  const reservationId = `${run.id}:${run.core.generateId()}`;
  const plan = run.scoped.plan(reservationId, amounts, run.leaseMs);
  if (!plan) {
    // Nothing to reserve: the kill check alone.
    await run.check();
    return { reservationId, reservation: null };
  }
  const answer = await beforeCall(run.core.store, { killScopes: run.killScopes, reserve: plan.request });
  const kill = answer.kill!;
  if (kill.status === 'rejected') {
    await undoBeforeCall(run, run.span, { plan }, answer);
    run.stop(
      { code: 'store_unavailable', operation: 'findKill' },
      'the shared store could not be read to check the kill switch; the run stops (fail closed)',
      kill.reason,
    );
  }
  try {
    run.afterKillLookup(kill.value);
  } catch (stop) {
    await undoBeforeCall(run, run.span, { plan }, answer);
    throw stop;
  }
  const reserve = answer.reserve!;
  if (reserve.status === 'rejected') {
    run.stop(
      { code: 'store_unavailable', operation: 'reserve' },
      'budgets could not be reserved in the shared store; the run stops (fail closed)',
      reserve.reason,
    );
  }
  if (!reserve.value.ok) {
    const refusal = run.scoped.refusal(plan, reserve.value);
    run.exceed(refusal.dimension, refusal.scope, refusal.limit, refusal.used);
  }
  return { reservationId, reservation: plan.reservation };
}
