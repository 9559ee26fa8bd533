import { type AuditEvent, memoryAudit, memoryStore, type Store } from 'agent-warden';
import { STORE_OPERATIONS } from '../../src/store/with-timeout.js';

/** An error as HTTP clients throw it: `status` (or another field) carries the HTTP status. */
export function httpError(status: number, field: 'status' | 'statusCode' | 'response' = 'status'): Error {
  const error = new Error(`HTTP ${status}`);
  if (field === 'response') Object.assign(error, { response: { status } });
  else Object.assign(error, { [field]: status });
  return error;
}

/** A promise with its resolve / reject handles. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const OPERATIONS = STORE_OPERATIONS;

export type StoreOperation = (typeof OPERATIONS)[number];

/**
 * A `memoryStore()` whose operations can be made to fail on demand: `faults.set('claim', 'throw')`
 * makes `claim` reject, `'hang'` makes it never settle. `memoryStore()` is a class instance (methods on
 * the prototype, private fields), so the wrapper forwards each operation explicitly instead of spreading it.
 */
export function faultyStore(options: { failOpen?: { reads?: boolean } } = {}) {
  const inner = memoryStore();
  const faults = new Map<StoreOperation, 'throw' | 'hang'>();
  const calls: StoreOperation[] = [];
  const store: Record<string, unknown> = {
    ...(options.failOpen ? { failOpen: options.failOpen } : {}),
    attach: (o: { clock: { now(): number } }) => inner.attach?.(o),
    close: () => inner.close?.(),
  };
  for (const operation of OPERATIONS) {
    const fn = (inner[operation] as (...args: unknown[]) => Promise<unknown>).bind(inner);
    store[operation] = (...args: unknown[]) => {
      calls.push(operation);
      const fault = faults.get(operation);
      if (fault === 'throw') return Promise.reject(new Error(`store down (${operation})`));
      if (fault === 'hang') return new Promise(() => {});
      return fn(...args);
    };
  }
  return { store: store as unknown as Store, faults, calls };
}

/**
 * A memory audit sink whose `write` fails for chosen events: `failWhen(event)` returning
 * `'throw'` throws synchronously, `'reject'` returns a rejected promise. Failed events are not kept.
 */
export function flakySink(failWhen: (event: AuditEvent) => 'throw' | 'reject' | undefined) {
  const kept = memoryAudit();
  let failures = 0;
  return {
    kept,
    get failures() {
      return failures;
    },
    write(event: AuditEvent): void | Promise<void> {
      const mode = failWhen(event);
      if (mode === 'throw') {
        failures++;
        throw new Error('audit disk full');
      }
      if (mode === 'reject') {
        failures++;
        return Promise.reject(new Error('audit disk full'));
      }
      kept.write(event);
    },
  };
}
