/**
 * A minimal manual clock for the store tests. The testing kit's `createManualClock()` is the public one;
 * this local copy keeps the store suite independent of it.
 */
export interface ManualClockLike {
  now(): number;
  advance(ms: number): void;
}

export function createManualClock(start = 0): ManualClockLike {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}
