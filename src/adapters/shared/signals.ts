/**
 * One signal for two: aborted as soon as either is (with the reason of the first of them that is
 * already aborted, in argument order). With only one of them, that one.
 */
export function linkSignals(first: AbortSignal, second: AbortSignal | undefined): AbortSignal;
export function linkSignals(first: AbortSignal | undefined, second: AbortSignal): AbortSignal;
export function linkSignals(
  first: AbortSignal | undefined,
  second: AbortSignal | undefined,
): AbortSignal | undefined;
export function linkSignals(
  first: AbortSignal | undefined,
  second: AbortSignal | undefined,
): AbortSignal | undefined {
  return first && second ? AbortSignal.any([first, second]) : (first ?? second);
}
