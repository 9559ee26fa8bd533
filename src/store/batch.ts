import { isInProcess } from './in-process.js';
import type {
  AfterCallAnswers,
  AfterCallRequest,
  BeforeCallAnswers,
  BeforeCallRequest,
  BudgetUsage,
  IdempotencyClaim,
  KillRecord,
  ReserveResult,
  Store,
} from './types.js';

/**
 * A promise for what `operation` returns, also when it throws instead of returning a promise; marked
 * handled, as a batch's caller may look at it a little later.
 */
function attempt<T>(operation: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = Promise.resolve(operation());
  } catch (error) {
    promise = Promise.reject(error);
  }
  promise.catch(() => {});
  return promise;
}

/** {@link Store.beforeCall} built from the single operations, all started at once. */
export function composeBeforeCall(
  store: Store,
  { killScopes, reserve, claim }: BeforeCallRequest,
): BeforeCallAnswers {
  return {
    ...(killScopes ? { kill: attempt(() => store.findKill(killScopes)) } : {}),
    ...(reserve ? { reserve: attempt(() => store.reserve(reserve)) } : {}),
    ...(claim ? { claim: attempt(() => store.claim(claim)) } : {}),
  };
}

/** {@link Store.afterCall} built from the single operations, all started at once. */
export function composeAfterCall(
  store: Store,
  { settle, complete, release }: AfterCallRequest,
): AfterCallAnswers {
  return {
    ...(settle ? { settle: attempt(() => store.settle(settle)) } : {}),
    ...(complete ? { complete: attempt(() => store.complete(complete)) } : {}),
    ...(release ? { release: attempt(() => store.release(release)) } : {}),
  };
}

/** What each part of a batch answered (only the parts requested are present). */
export interface BeforeCallResult {
  kill?: PromiseSettledResult<KillRecord | null>;
  reserve?: PromiseSettledResult<ReserveResult>;
  claim?: PromiseSettledResult<IdempotencyClaim>;
}

export interface AfterCallResult {
  settle?: PromiseSettledResult<BudgetUsage[]>;
  complete?: PromiseSettledResult<boolean>;
  release?: PromiseSettledResult<boolean>;
}

/** A promise's outcome as a `PromiseSettledResult` (never rejects). */
function settled<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

/** Waits for the answers of the parts `requested`; a part the store did not answer counts as failed. */
async function collect<R>(
  requested: readonly string[],
  answers: Record<string, Promise<unknown> | undefined>,
): Promise<R> {
  // Every answer is already under way: waiting for them in turn takes as long as waiting for all.
  const result: Record<string, PromiseSettledResult<unknown>> = {};
  for (const part of requested) {
    result[part] = await settled(
      answers[part] ?? Promise.reject(new Error(`the store did not answer the '${part}' part`)),
    );
  }
  return result as R;
}

/** Every part of a batch that could not even be started, failed with `error`. */
function failed(request: Record<string, unknown>, error: unknown): Record<string, Promise<unknown>> {
  const answers: Record<string, Promise<unknown>> = {};
  for (const [part, value] of Object.entries(request)) {
    if (value !== undefined) answers[part] = attempt(() => Promise.reject(error));
  }
  return answers;
}

/** The single operation a one-part batch stands for. */
function single(store: Store, part: string, request: object): Promise<unknown> {
  const r = request as BeforeCallRequest & AfterCallRequest;
  switch (part) {
    case 'kill':
      return store.findKill(r.killScopes!);
    case 'reserve':
      return store.reserve(r.reserve!);
    case 'claim':
      return store.claim(r.claim!);
    case 'settle':
      return store.settle(r.settle!);
    case 'complete':
      return store.complete(r.complete!);
    default:
      return store.release(r.release!);
  }
}

async function run<R>(
  store: Store,
  request: object,
  parts: Record<string, unknown>,
  batch: (() => Promise<object>) | undefined,
): Promise<R> {
  const requested: string[] = [];
  for (const part in parts) if (parts[part] !== undefined) requested.push(part);
  // One part is its own operation: nothing to batch.
  if (requested.length === 1 || !batch) {
    const answers: Record<string, Promise<unknown>> = {};
    for (const part of requested) answers[part] = attempt(() => single(store, part, request));
    return collect<R>(requested, answers);
  }
  let answers: Record<string, Promise<unknown> | undefined>;
  try {
    answers = { ...(await batch()) } as Record<string, Promise<unknown> | undefined>;
  } catch (error) {
    answers = failed(parts, error);
  }
  return collect<R>(requested, answers);
}

/**
 * The store work before a call: the store's own `beforeCall` (one round trip), or the single operations
 * all at once. Resolves when every part has answered; never rejects. An in-process store answers in
 * the same tick, without a promise.
 */
export function beforeCall(
  store: Store,
  request: BeforeCallRequest,
): Promise<BeforeCallResult> | BeforeCallResult {
  if (isInProcess(store)) return store.beforeCallNow(request);
  const parts = { kill: request.killScopes, reserve: request.reserve, claim: request.claim };
  const batch = store.beforeCall && (() => store.beforeCall!(request));
  return run<BeforeCallResult>(store, request, parts, batch);
}

/** The store work after a call, like {@link beforeCall}. */
export function afterCall(
  store: Store,
  request: AfterCallRequest,
): Promise<AfterCallResult> | AfterCallResult {
  if (isInProcess(store)) return store.afterCallNow(request);
  const parts = { settle: request.settle, complete: request.complete, release: request.release };
  const batch = store.afterCall && (() => store.afterCall!(request));
  return run<AfterCallResult>(store, request, parts, batch);
}
