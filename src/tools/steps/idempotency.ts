import { sha256Hex } from '../../internal/hash.js';
import type {
  AfterCallRequest,
  ClaimRequest,
  IdempotencyClaim,
  IdempotencyRecord,
} from '../../store/types.js';
import { argsHashOf, canonicalArgsOf } from '../args-hash.js';
import type { PipelineStep, ToolCall } from '../call.js';
import { fail, failureOutcome, okOutcome, type ToolOutcome } from '../outcome.js';
import { isTransientError, surelyNotProcessed } from '../resilience/transient.js';
import { completeAfterCall } from './after-call.js';
import { type Flushed, flushedOutcome, flushPrechecks } from './prechecks.js';
import { storeFailure } from './store-failure.js';

export const MIN_KEY_LENGTH = 16;
export const MAX_KEY_LENGTH = 255;

const enc = (value: string | undefined) => (value === undefined ? '-' : encodeURIComponent(value));

/**
 * The idempotency key of a call: the explicit key, or
 * `sha256(scope | tool | canonicalJSON(args))` with scope = session id, else run id.
 */
export function deriveKey(call: ToolCall, canonicalArgs: string): string {
  const { run } = call;
  const scope = run.sessionId !== undefined ? `session:${run.sessionId}` : `run:${run.id}`;
  return sha256Hex(`${scope}|${call.tool!.name}|${canonicalArgs}`);
}

/** Canonical arguments up to this length are their own fingerprint; longer ones are hashed. */
const MAX_PLAIN_FINGERPRINT = 256;

/**
 * What the store keeps next to a key to tell the same call from another: the tool name and the
 * canonical arguments, or their hash when they are long (the hash is shared with the audit).
 */
function fingerprintOf(tool: string, call: ToolCall, canonicalArgs: string): string {
  return canonicalArgs.length <= MAX_PLAIN_FINGERPRINT
    ? `${tool}|=${canonicalArgs}`
    : `${tool}|#${argsHashOf(call)}`;
}

function replay(call: ToolCall, record: IdempotencyRecord): ToolOutcome {
  call.replayed = true;
  if (record.oversized) {
    // The store kept only a digest of a result larger than its maxResultBytes: say so, never run again.
    return failureOutcome(
      {
        code: 'tool_error',
        message:
          `${call.tool!.name}: an identical earlier call already completed, but its result was too large to ` +
          'store, so it cannot be shown again; the call was not run again — do not retry it.',
        retryable: false,
        details: {
          replayed: true,
          reason: 'replay_unavailable',
          outcome: record.outcome,
          ...(record.digest ? { digest: record.digest } : {}),
          ...(record.size !== undefined ? { size: record.size } : {}),
        },
      },
      call.callId,
    );
  }
  if (record.outcome === 'ok') return okOutcome(record.value, call.callId, { replayed: true });
  const error = record.error ?? { code: 'tool_error', message: 'the earlier identical call failed' };
  return failureOutcome(
    {
      code: error.code as 'tool_error',
      message: `${error.message} (this is the stored result of an identical earlier call; it was not run again)`,
      retryable: false,
      details: { replayed: true },
    },
    call.callId,
  );
}

function refuse(
  call: ToolCall,
  claim: Exclude<IdempotencyClaim, { status: 'claimed' }>,
  fingerprint: string,
) {
  const tool = call.tool!.name;
  if (claim.fingerprint !== fingerprint) {
    return fail(
      'idempotency_conflict',
      `${tool}: this idempotency key was already used with different arguments; use a new key for a different call.`,
      call.callId,
      { idempotencyKey: call.idempotencyKey },
    );
  }
  if (claim.status === 'in_flight') {
    return fail(
      'idempotency_in_flight',
      `${tool}: an identical call is still in progress; wait for its result instead of calling again.`,
      call.callId,
      { idempotencyKey: call.idempotencyKey },
    );
  }
  if (claim.status === 'completed') return replay(call, claim.record);
  return fail(
    'tool_error',
    `${tool}: an identical earlier call ended with an unknown outcome (it may have taken effect); ` +
      'it is not run again automatically — check its effect with the user before trying again.',
    call.callId,
    { idempotencyKey: call.idempotencyKey, indeterminate: true },
    false,
  );
}

/** What to store for a claimed call once its outcome is known. */
function settlement(call: ToolCall, outcome: ToolOutcome | null): 'completed' | 'indeterminate' | 'release' {
  if (outcome?.ok && !call.fallback) return 'completed';
  if (call.attempts === 0) return 'release';
  if (!outcome) return 'indeterminate';
  if (!outcome.ok && outcome.error.code === 'invalid_output') return 'completed';
  if (!outcome.ok && outcome.error.code === 'tool_timeout') return 'indeterminate';
  // `lastError` is the last failure of `execute` itself (a breaker refusal is not recorded). Without one,
  // execute never ran (refused by the breaker, or answered by the fallback): nothing happened. With one,
  // an earlier attempt did run, even if the call then ended as circuit_open or with the fallback's value.
  const error = call.lastError;
  // Released only if no attempt may have reached the dependency: a 503 after a 500 may still have charged.
  if (error === undefined || surelyNotProcessed(error)) {
    return call.mayHaveTakenEffect ? 'indeterminate' : 'release';
  }
  const transient = (call.tool!.retry.isTransient ?? isTransientError)(error);
  return transient ? 'indeterminate' : 'completed';
}

/** A claim this call holds, to complete or release once its outcome is known. */
export interface HeldClaim {
  /** The caller's idempotency key (for span events). */
  key: string;
  storeKey: string;
  owner: string;
  fence: number;
  ttlMs: number;
}

/** What to send the store for a held claim once the call's outcome is known: complete or release. */
export function settleClaim(
  call: ToolCall,
  outcome: ToolOutcome | null,
  { storeKey, owner, fence, ttlMs }: HeldClaim,
): Pick<AfterCallRequest, 'complete' | 'release'> {
  const decision = settlement(call, outcome);
  if (decision === 'release') return { release: { key: storeKey, owner, fence } };
  const { clock } = call.run.core;
  const record: IdempotencyRecord =
    outcome?.ok === true
      ? { outcome: 'ok', value: outcome.value, completedAt: clock.now() }
      : {
          outcome: 'error',
          error: outcome
            ? { code: outcome.error.code, message: outcome.error.message }
            : { code: 'tool_error', message: 'the call was interrupted after it started' },
          completedAt: clock.now(),
        };
  return { complete: { key: storeKey, owner, fence, state: decision, record, ttlMs } };
}

/**
 * 8. Claim the idempotency key: replay a completed call, refuse one in flight or conflicting. The claim
 * travels with the kill lookup and the tool-call reservation deferred from steps 1 and 3, in one store
 * round trip; tools without idempotency send those alone here.
 */
export const idempotency: PipelineStep = {
  name: 'idempotency',
  run(call) {
    const tool = call.tool!;
    if (!tool.idempotency) return flushedOutcome(flushPrechecks(call));
    const { run } = call;
    const given = call.options.idempotencyKey;
    // Only a caller's key is length-checked: the approval key below is ours, whatever ids `generateId` makes.
    if (
      given !== undefined &&
      (typeof given !== 'string' || given.length < MIN_KEY_LENGTH || given.length > MAX_KEY_LENGTH)
    ) {
      return fail(
        'invalid_arguments',
        `${tool.name}: the idempotency key must be ${MIN_KEY_LENGTH}-${MAX_KEY_LENGTH} characters.`,
        call.callId,
        { issues: [{ path: ['idempotencyKey'], message: 'invalid idempotency key length' }] },
      );
    }
    // A call run on an approval is keyed to its pending id: one approval, at most one effect.
    const explicit = given ?? (call.approvedPendingId ? `approval:${call.approvedPendingId}` : undefined);
    const canonicalArgs = canonicalArgsOf(call)!;
    const fingerprint = fingerprintOf(tool.name, call, canonicalArgs);
    const key = explicit ?? deriveKey(call, canonicalArgs);
    const storeKey = `idem:${enc(run.tenantId)}:${enc(run.userId)}:${key}`;
    // Unique per claim: the run's id and a counter of the run's claims (the fence guards the rest).
    const owner = `${run.id}:${call.callId}:${run.nextClaimNumber()}`;
    const { retries, maxDelayMs } = tool.retry;
    const leaseMs = tool.timeoutMs * (retries + 1) + maxDelayMs * retries + 30_000;
    const request: ClaimRequest = { key: storeKey, fingerprint, owner, leaseMs };
    const flushed = flushPrechecks(call, request);
    return flushed instanceof Promise
      ? flushed.then((f) => afterClaim(call, f, key, request))
      : afterClaim(call, flushed, key, request);
  },
};

/** Act on the claim's answer: go on holding it, replay, or refuse. */
function afterClaim(call: ToolCall, flushed: Flushed, key: string, request: ClaimRequest) {
  if (flushed.outcome) return flushed.outcome;
  call.idempotencyKey = key;
  const claim = flushed.claim!;
  if (claim.status === 'rejected') {
    return storeFailure(call, 'claim', claim.reason, { allowFailOpen: false });
  }
  if (claim.value.status !== 'claimed') return refuse(call, claim.value, request.fingerprint);
  const ttlMs = (call.tool!.idempotency as { ttlMs: number }).ttlMs;
  completeAfterCall(call, {
    key,
    storeKey: request.key,
    owner: request.owner,
    fence: claim.value.fence,
    ttlMs,
  });
  return undefined;
}
