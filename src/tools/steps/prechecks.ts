import { type BeforeCallSent, undoBeforeCall } from '../../run/before-call.js';
import { type BeforeCallResult, beforeCall } from '../../store/batch.js';
import type { BeforeCallRequest, ClaimRequest, IdempotencyClaim } from '../../store/types.js';
import type { ToolCall } from '../call.js';
import type { ToolOutcome } from '../outcome.js';
import { settleAfterCall } from './after-call.js';
import { storeFailure } from './store-failure.js';

/**
 * The store work of steps 1 and 3 — the kill lookup and the scoped tool-call reservation — is decided
 * there but sent later, with the idempotency claim of step 8, in one round trip ({@link flushPrechecks}).
 * It is sent earlier whenever the call is about to end or to do something visible before step 8: a step
 * returns an outcome or throws, a loop warning or stop is due, an approval is checked or requested. The
 * answers are acted on in pipeline order (kill, then budget, then claim), so a call ends exactly as it
 * would have with every check made at its own step.
 */
export interface Deferred {
  /** Step 1's kill lookup. */
  kill: boolean;
  /** Step 3 counted the call in the run's tool calls (taken back if an earlier check stops it). */
  counted: boolean;
  /** Step 3's scoped tool-call reservation, when a scoped budget limits tool calls. */
  reservationId?: string;
}

/** What the first round trip left for the caller: an outcome that ends the call, or the claim's answer. */
export type Flushed =
  | { outcome: ToolOutcome; claim?: undefined }
  | { outcome?: undefined; claim?: PromiseSettledResult<IdempotencyClaim> };

/** Step 1: the kill lookup waits for the call's first store round trip. */
export function deferKillCheck(call: ToolCall): void {
  call.deferred = { kill: true, counted: false };
}

/** Step 3: count the call now (concurrent calls see it); its scoped reservation waits for the first round trip. */
export function deferToolCall(call: ToolCall, reserve: boolean): void {
  const { run } = call;
  call.deferred ??= { kill: false, counted: false };
  const deferred = call.deferred;
  run.countToolCall(1);
  deferred.counted = true;
  if (reserve) deferred.reservationId = `${run.id}:${run.core.generateId()}`;
}

/**
 * Forget what the steps after the one that stops the call found: a call stopped by the kill switch ends
 * as at step 1 (before the allowlist), one stopped by its budget as at step 3 (before the schema).
 */
function rewind(call: ToolCall, to: 'start' | 'budget'): void {
  // Assigned rather than deleted: the call keeps its shape.
  if (to === 'start') call.tool = undefined;
  call.inputArgs = undefined;
  call.args = undefined;
  call.canonicalArgs = undefined;
  call.loopSignature = undefined;
  call.argsHash = undefined;
}

/**
 * Send the deferred store work, with `claim` when given, in one round trip (nothing when nothing is
 * pending), and act on the answers in pipeline order:
 *
 * 1. kill: killed → RunStop `killed`; unreadable → `store_unavailable` (`findKill`), except for read
 *    tools of a store with `failOpen.reads`;
 * 2. scoped tool-call budget: refused → RunStop `budget_exceeded`; failed → `store_unavailable`
 *    (`reserve`), except for read tools with `failOpen.reads`;
 * 3. the claim's answer is returned to the idempotency step.
 *
 * When 1 or 2 stops the call, what the round trip granted is given back first (the reservation settled
 * with nothing spent, the claim released: one more round trip, on that path only).
 */
export function flushPrechecks(call: ToolCall, claim?: ClaimRequest): Flushed | Promise<Flushed> {
  const deferred = call.deferred;
  call.deferred = undefined;
  const { run } = call;
  const plan = deferred?.reservationId
    ? run.scoped.plan(deferred.reservationId, { toolCalls: 1 }, run.leaseMs)
    : null;
  const killScopes = deferred?.kill ? run.killScopes : undefined;
  if (!killScopes && !plan && !claim) {
    if (deferred?.counted) run.add({});
    return NOTHING;
  }
  const request: BeforeCallRequest = {};
  if (killScopes) request.killScopes = killScopes;
  if (plan) request.reserve = plan.request;
  if (claim) request.claim = claim;
  const answer = beforeCall(run.core.store, request);
  // An in-process store answers in the same tick: so does this, unless the call ends here.
  return answer instanceof Promise
    ? answer.then((settled) => actOn(call, deferred, plan, claim, settled))
    : actOn(call, deferred, plan, claim, answer);
}

const NOTHING: Flushed = Object.freeze({});

/** Act on the first round trip's answers, in pipeline order (see {@link flushPrechecks}). */
function actOn(
  call: ToolCall,
  deferred: Deferred | undefined,
  plan: BeforeCallSent['plan'],
  claim: ClaimRequest | undefined,
  answer: BeforeCallResult,
): Flushed | Promise<Flushed> {
  const { run } = call;
  const kill = answer.kill;
  if (kill?.status === 'rejected') {
    // The tool is not known to be allowed yet, so only a registered read tool may fail open here.
    const outcome = storeFailure(call, 'findKill', kill.reason, { allowFailOpen: false })!;
    const tool = run.core.registry.get(call.name);
    if (!(tool?.effect === 'read' && run.core.store.failOpen?.reads === true)) {
      return endWith({ call, deferred, sent: { plan, claim }, answer }, 'start', { outcome });
    }
  } else if (kill) {
    try {
      run.afterKillLookup(kill.value);
    } catch (stop) {
      return endWith({ call, deferred, sent: { plan, claim }, answer }, 'start', undefined, stop);
    }
  }

  if (plan) {
    const reserve = answer.reserve!;
    if (reserve.status === 'rejected') {
      const outcome = storeFailure(call, 'reserve', reserve.reason, { allowFailOpen: true });
      if (outcome) return endWith({ call, deferred, sent: { plan, claim }, answer }, 'budget', { outcome });
    } else if (!reserve.value.ok) {
      const refusal = run.scoped.refusal(plan, reserve.value);
      try {
        run.exceed(refusal.dimension, refusal.scope, refusal.limit, refusal.used);
      } catch (stop) {
        return endWith({ call, deferred, sent: { plan, claim }, answer }, 'budget', undefined, stop);
      }
    } else {
      settleAfterCall(call, plan.reservation);
    }
  }
  // The call goes on: the tool call counted at step 3 may now warn.
  if (deferred?.counted) run.add({});
  return claim ? { claim: answer.claim! } : NOTHING;
}

/** End the call here (see {@link end}), then return `flushed` or throw `stop`. */
async function endWith(
  ending: Ending,
  to: 'start' | 'budget',
  flushed?: Flushed,
  stop?: unknown,
): Promise<Flushed> {
  await end(ending, to);
  if (flushed) return flushed;
  throw stop;
}

/** What {@link end} needs to give back what a round trip granted. */
interface Ending {
  call: ToolCall;
  deferred: Deferred | undefined;
  sent: BeforeCallSent;
  answer: BeforeCallResult;
}

/** The call ends before step 8: give back what was granted and forget what later steps found. */
async function end({ call, deferred, sent, answer }: Ending, to: 'start' | 'budget'): Promise<void> {
  await undoBeforeCall(call.run, call.span, sent, answer);
  if (deferred?.counted) call.run.countToolCall(-1);
  rewind(call, to);
}

/** Flush before a step ends the call or does something visible; returns the outcome that ends it first. */
export async function flushFirst(call: ToolCall): Promise<ToolOutcome | undefined> {
  if (!call.deferred) return undefined;
  return (await flushPrechecks(call)).outcome;
}

/** {@link flushPrechecks}'s outcome (or a promise of it): what ends the call, if anything. */
export function flushedOutcome(
  flushed: Flushed | Promise<Flushed>,
): ToolOutcome | undefined | Promise<ToolOutcome | undefined> {
  return flushed instanceof Promise ? flushed.then((f) => f.outcome) : flushed.outcome;
}
