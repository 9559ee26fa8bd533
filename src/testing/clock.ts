import { WardenConfigError } from '../errors.js';
import type { Clock } from '../internal/clock.js';

/** A clock that moves only when told to. Pass it as `createWarden({ clock })`. */
export interface ManualClock extends Clock {
  now(): number;
  /** Move forward by `ms` (>= 0). */
  advance(ms: number): void;
  /** Jump to an absolute time (epoch ms); may move backwards to test clock skew. */
  set(ms: number): void;
  /** Retry backoff waits here: advances the clock by `ms` at once instead of waiting. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A manual clock for deterministic tests. Every time-based guard reads the
 * warden's clock: run duration budgets, calendar windows, approval expiry,
 * idempotency TTLs, breaker reset times and retry backoff.
 * @param start epoch ms. @default Date.UTC(2026, 0, 1)
 */
export function createManualClock(start: number = Date.UTC(2026, 0, 1)): ManualClock {
  const check = (value: number, what: string) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new WardenConfigError({
        path: `manualClock.${what}`,
        message: `expected a finite number, got ${String(value)}`,
      });
    }
  };
  check(start, 'start');
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      check(ms, 'advance');
      if (ms < 0)
        throw new WardenConfigError({
          path: 'manualClock.advance',
          message: 'expected ms >= 0; use set() to go back',
        });
      current += ms;
    },
    set(ms) {
      check(ms, 'set');
      current = ms;
    },
    async sleep(ms, signal) {
      // Waiting on a manual clock takes no real time: the clock moves forward instead.
      if (signal?.aborted) throw signal.reason;
      current += Math.max(0, ms);
      await Promise.resolve();
      if (signal?.aborted) throw signal.reason;
    },
  };
}
