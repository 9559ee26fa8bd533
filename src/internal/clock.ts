/** A source of wall-clock time in epoch milliseconds. Inject one to control time in tests. */
export interface Clock {
  now(): number;
  /**
   * Wait `ms` (retry backoff). Optional: without it the library uses a real
   * timer. The testing kit's manual clock advances itself instead of waiting.
   */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
