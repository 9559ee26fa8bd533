/** A source of wall-clock time in epoch milliseconds. Inject one to control time in tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
