import type { Clock } from '../../internal/clock.js';

/**
 * Exponential backoff with jitter: `min(maxDelayMs, minDelayMs * 2^(retry-1) * (1 + random()))`.
 * `retry` is 1 for the first retry.
 */
export function backoffDelay(
  retry: number,
  options: { minDelayMs: number; maxDelayMs: number },
  random: () => number,
): number {
  const r = random();
  const jitter = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  const base = options.minDelayMs * 2 ** Math.max(0, retry - 1);
  return Math.round(Math.min(options.maxDelayMs, base * (1 + jitter)));
}

/**
 * Wait `ms` on the clock: a clock with its own `sleep` (the manual clock)
 * advances instantly; otherwise a real timer (kept referenced: the run waits on it). Rejects with the
 * signal's reason as soon as `signal` aborts.
 */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (clock.sleep) return clock.sleep(ms, signal);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    // Not unref'd: the run is waiting on it; it is cleared when it fires or the run stops.
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
