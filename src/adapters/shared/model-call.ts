/**
 * A guarded model call whose start and end are seen apart (a callback pair, a streamed response, a
 * wrapped SDK model), which `run.model()` cannot give: the adapters reach into the core for it.
 * Nothing here is public API.
 */
import { currentRun, type ModelSpec, type Run, WardenError } from '../../index.js';
import { beginModelCall, type ModelCallHandle, RunImpl } from './internal.js';

export type { ModelCallHandle };

/**
 * The core's implementation behind `run`. Throws a `WardenError` (`no_current_run`) naming `caller`
 * when `run` is not a run of this copy of agent-warden (another object, or a run of a second
 * installed copy).
 */
export function runImplOf(run: Run, caller: string): RunImpl {
  if (run instanceof RunImpl) return run;
  throw new WardenError({
    code: 'no_current_run',
    message:
      `${caller}: the run was not created by warden.run() of this copy of agent-warden; pass the run ` +
      'object warden.run() gave your function, and install a single copy of agent-warden',
  });
}

/** The run whose code is executing, as the core's implementation. Throws outside `warden.run()`. */
export function currentRunImpl(caller: string): RunImpl {
  return runImplOf(currentRun(), caller);
}

/**
 * Checks the run's budgets (kill, abort, steps, tokens, cost, duration), reserves against the
 * session / user / tenant budgets, counts the step and opens the `chat {model}` span. Throws the
 * `RunStop` when the call must not be made; else the handle settles the call with `end` or `fail`.
 */
export function beginGuardedModelCall(run: RunImpl, spec: ModelSpec): Promise<ModelCallHandle> {
  return beginModelCall(run, spec, { precheck: true });
}
