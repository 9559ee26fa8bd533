import { AsyncLocalStorage } from 'node:async_hooks';
import { WardenError } from '../errors.js';
import type { Run } from './types.js';

const storage = new AsyncLocalStorage<Run>();

/** Run `fn` with `run` as the current run. */
export function withCurrentRun<T>(run: Run, fn: () => T): T {
  return storage.run(run, fn);
}

/**
 * The run whose code is executing, for adapters that wrap framework-owned
 * tool handlers. Throws outside `warden.run()`: a guarded tool never runs unguarded.
 */
export function currentRun(): Run {
  const run = storage.getStore();
  if (!run) {
    throw new WardenError({
      code: 'no_current_run',
      message:
        'No current run: guarded tools and models must be called inside warden.run(options, async (run) => ...). ' +
        'Start the agent loop inside a run.',
    });
  }
  return run;
}

/** The current run, or undefined outside a run. */
export function findCurrentRun(): Run | undefined {
  return storage.getStore();
}
