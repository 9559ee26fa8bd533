import { type Run, WardenConfigError } from '../../index.js';

/**
 * Check that `run` is the handle `warden.run()` passed to its callback, so a missing or wrong first
 * argument is a clear error instead of a tool call that never reaches the guards.
 */
export function assertRun(run: unknown, fn: string): asserts run is Run {
  const r = run as Partial<Run> | null | undefined;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.tool !== 'function' ||
    typeof r.model !== 'function' ||
    !(r.signal instanceof AbortSignal)
  ) {
    throw new WardenConfigError({
      path: `${fn}(run)`,
      message:
        'expected the run handle of warden.run(options, async (run) => ...); ' +
        'call it inside the run, or pass currentRun() from deeper code',
    });
  }
}
