import type { BudgetWindow } from './types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The calendar window that contains an instant. */
export interface WindowBounds {
  /**
   * `'total'` for the total window, otherwise `${window}:${start}` (start in epoch ms), e.g.
   * `day:1741564800000`. Any implementation that computes the same start computes the same id.
   */
  id: string;
  /** Inclusive start in epoch ms (`0` for `'total'`). */
  start: number;
  /** Exclusive end in epoch ms, or `null` for `'total'`, which never ends. */
  end: number | null;
}

/**
 * The UTC calendar window of kind `window` that contains `now` (epoch ms).
 *
 * - `hour`: `[floor(now / 1h) * 1h, +1h)`
 * - `day`: `[floor(now / 1d) * 1d, +1d)` — midnight UTC to midnight UTC
 * - `week`: ISO 8601 week, Monday 00:00 UTC to the next Monday. Day 0 of the epoch
 *   (1970-01-01) was a Thursday, so the weekday index counted from Monday is `(days + 3) mod 7`.
 * - `month`: the first of the month 00:00 UTC to the first of the next month
 * - `total`: one window forever, id `'total'`, `end: null`
 *
 * The arithmetic is deliberately plain (no time zones, no locale) so that other stores
 * (the Redis store's Lua scripts) can reproduce it exactly.
 */
export function windowBounds(window: BudgetWindow, now: number): WindowBounds {
  switch (window) {
    case 'hour':
      return fixed(window, Math.floor(now / HOUR_MS) * HOUR_MS, HOUR_MS);
    case 'day':
      return fixed(window, Math.floor(now / DAY_MS) * DAY_MS, DAY_MS);
    case 'week': {
      const days = Math.floor(now / DAY_MS);
      const sinceMonday = mod(days + 3, 7);
      return fixed(window, (days - sinceMonday) * DAY_MS, 7 * DAY_MS);
    }
    case 'month': {
      const date = new Date(now);
      const year = date.getUTCFullYear();
      const month = date.getUTCMonth();
      // Date.UTC normalises month 12 to January of the next year.
      const start = Date.UTC(year, month, 1);
      return { id: `${window}:${start}`, start, end: Date.UTC(year, month + 1, 1) };
    }
    case 'total':
      return { id: 'total', start: 0, end: null };
    default:
      throw new Error(`windowBounds: unknown window ${JSON.stringify(window satisfies never)}`);
  }
}

function fixed(window: BudgetWindow, start: number, length: number): WindowBounds {
  return { id: `${window}:${start}`, start, end: start + length };
}

/** Modulo that is never negative (instants before 1970). */
function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}
