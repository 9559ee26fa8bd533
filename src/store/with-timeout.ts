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

const OPERATIONS = [
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

/**
 * Wrap a store so that no operation can hold a guard longer than `timeoutMs`:
 * a slow operation rejects with `StoreTimeoutError`, which the guards treat
 * like any store failure (fail closed).
 */
export function withStoreTimeout(store: Store, timeoutMs: number): Store {
  const wrapped: Record<string, unknown> = {
    failOpen: store.failOpen,
    attach: store.attach?.bind(store),
    close: store.close?.bind(store),
  };
  for (const operation of OPERATIONS) {
    const fn = (store[operation] as (...args: unknown[]) => Promise<unknown>).bind(store);
    wrapped[operation] = (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new StoreTimeoutError(operation, timeoutMs)), timeoutMs);
        // Not unref'd: it lives only while the operation is pending, and is cleared when it settles.
        Promise.resolve()
          .then(() => fn(...args))
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
  return wrapped as unknown as Store;
}
