import type { AfterCallResult, BeforeCallResult } from './batch.js';
import type { AfterCallRequest, BeforeCallRequest, Store } from './types.js';

/**
 * Marks a store whose operations answer in-process without waiting on I/O (the memory store): nothing
 * can make them slow, so `withStoreTimeout` returns it as it is instead of arming a timer per
 * operation, and the warden uses its same-tick batches ({@link InProcessStore}) — no promise, no
 * microtask per store round trip.
 */
export const IN_PROCESS: unique symbol = Symbol('agent-warden.store.inProcess');

/** The same-tick batches of an in-process store. */
export interface InProcessStore extends Store {
  readonly [IN_PROCESS]: true;
  beforeCallNow(request: BeforeCallRequest): BeforeCallResult;
  afterCallNow(request: AfterCallRequest): AfterCallResult;
}

export function isInProcess(store: Store): store is InProcessStore {
  return (store as Partial<InProcessStore>)[IN_PROCESS] === true;
}
