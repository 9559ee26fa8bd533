import { currentRun, type Run } from '../../index.js';
import { type WardenCallbackHandler, type WardenCallbacksOptions, wardenCallbacks } from './callbacks.js';

/** The part of a LangChain `RunnableConfig` that ties a graph or chain to a warden run. */
export interface WardenRunConfig {
  /** The run's signal: aborted when the run stops, so LangGraph halts between and during steps. */
  signal: AbortSignal;
  /** A {@link wardenCallbacks} handler bound to the run. */
  callbacks: WardenCallbackHandler[];
}

/**
 * The config to invoke a LangGraph graph (or any LangChain runnable) with inside a run: the run's
 * `signal`, so a `RunStop` halts the graph even where `ToolNode` turns the thrown stop into a tool
 * message, and {@link wardenCallbacks} bound to the run, so every model call is counted. Spread your
 * own options next to it (`{ ...wardenRunConfig(run), recursionLimit: 50 }`).
 *
 * ```ts
 * const result = await warden.run({ userId }, (run) => graph.invoke(input, wardenRunConfig(run)));
 * ```
 */
export function wardenRunConfig(
  run: Run = currentRun(),
  options: Omit<WardenCallbacksOptions, 'run'> = {},
): WardenRunConfig {
  return { signal: run.signal, callbacks: [wardenCallbacks({ ...options, run })] };
}
