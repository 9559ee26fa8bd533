/**
 * The adapter's one reach into the core: a model call whose start and end are seen apart (a
 * streamed response) needs the run's pre-call checks and a handle to settle it later, which
 * `run.model()` cannot give. Nothing here is public API.
 */
import { WardenError } from '../../errors.js';
import { currentRun } from '../../run/context.js';
import { beginModelCall, type ModelCallHandle } from '../../run/model-call.js';
import { RunImpl } from '../../run/run.js';
import type { ModelSpec } from '../../run/types.js';

export type { ModelCallHandle };

/** The run whose code is executing, as the core's implementation. Throws outside `warden.run()`. */
export function currentRunImpl(): RunImpl {
  const run = currentRun();
  if (!(run instanceof RunImpl)) {
    throw new WardenError({
      code: 'no_current_run',
      message: 'the current run was not created by this copy of agent-warden; install a single copy',
    });
  }
  return run;
}

/**
 * Checks the run's budgets (kill, abort, steps, tokens, cost, duration), reserves against the
 * session / user / tenant budgets, counts the step and opens the `chat {model}` span.
 * Throws the `RunStop` when the call must not be made.
 */
export function beginGuardedModelCall(run: RunImpl, spec: ModelSpec): Promise<ModelCallHandle> {
  return beginModelCall(run, spec, { precheck: true });
}
