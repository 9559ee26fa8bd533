import { isInProcess } from './in-process.js';
import type { Store } from './types.js';

/** A store operation that did not answer within `limits.storeTimeoutMs`. */
export class StoreTimeoutError extends Error {
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number) {
    super(`store operation '${operation}' did not answer within ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/** Every single-call operation of the `Store` interface (what a wrapper must forward). */
export const STORE_OPERATIONS = [
  'reserve',
  'settle',
  'budgetUsage',
  'setKill',
  'clearKill',
  'findKill',
  'acquireSlot',
  'releaseSlot',
  'claim',
  'complete',
  'release',
  'consumeNonce',
  'putRecord',
  'getRecord',
  'updateRecord',
  'listRecords',
] as const satisfies ReadonlyArray<keyof Store>;

/** The operation each part of a batch stands for (its time-out is named after it). */
const BATCH_PARTS: Record<'beforeCall' | 'afterCall', Record<string, string>> = {
  beforeCall: { kill: 'findKill', reserve: 'reserve', claim: 'claim' },
  afterCall: { settle: 'settle', complete: 'complete', release: 'release' },
};

/** `promise`, or a `StoreTimeoutError` if it has not settled within `timeoutMs`. */
function bounded<T>(promise: () => Promise<T>, operation: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(operation, timeoutMs)), timeoutMs);
    // Not unref'd: it lives only while the operation is pending, and is cleared when it settles.
    Promise.resolve()
      .then(promise)
      .then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
  });
}

/**
 * Wrap a store so that no operation can hold a guard longer than `timeoutMs`:
 * a slow operation rejects with `StoreTimeoutError`, which the guards treat
 * like any store failure (fail closed). An in-process store ({@link IN_PROCESS}) is returned unwrapped.
 */
export function withStoreTimeout(store: Store, timeoutMs: number): Store {
  if (isInProcess(store)) return store;
  const wrapped: Record<string, unknown> = {
    failOpen: store.failOpen,
    attach: store.attach?.bind(store),
    close: store.close?.bind(store),
  };
  for (const operation of STORE_OPERATIONS) {
    const fn = (store[operation] as (...args: unknown[]) => Promise<unknown>).bind(store);
    wrapped[operation] = (...args: unknown[]) => bounded(() => fn(...args), operation, timeoutMs);
  }
  // A batch is bounded part by part, from the call: a part that answered in time keeps its answer.
  for (const batch of ['beforeCall', 'afterCall'] as const) {
    const fn = store[batch]?.bind(store) as ((request: object) => Promise<object>) | undefined;
    if (!fn) continue;
    wrapped[batch] = async (request: Record<string, unknown>) => {
      const started = Promise.resolve().then(() => fn(request) as Promise<Record<string, Promise<unknown>>>);
      started.catch(() => {});
      const timed: Record<string, Promise<unknown>> = {};
      for (const [part, operation] of Object.entries(BATCH_PARTS[batch])) {
        if (request[part === 'kill' ? 'killScopes' : part] === undefined) continue;
        const answer = bounded(
          () =>
            started.then((answers) => answers[part] ?? Promise.reject(new Error(`no answer to '${part}'`))),
          operation,
          timeoutMs,
        );
        answer.catch(() => {});
        timed[part] = answer;
      }
      return timed;
    };
  }
  return wrapped as unknown as Store;
}
