import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import { currentRun, type ModelSpec, type Run } from '../../index.js';
import { beginGuardedModelCall, type ModelCallHandle, runImplOf } from '../shared/model-call.js';
import { detectModelSpec, type LangChainModelCallInfo } from './model-spec.js';
import { usageOfResult } from './usage.js';

/** Options of {@link wardenCallbacks}. */
export interface WardenCallbacksOptions {
  /**
   * The run to count model calls against.
   * @default the current run at each model call (`currentRun()`); outside a run the call is refused
   */
  run?: Run;
  /**
   * Adjust the spec detected from the callback (model from `ls_model_name` / invocation params,
   * provider from `ls_provider`): rename the model to match a `pricing` key, set the provider, add an
   * `estimate` to reserve against session / user / tenant budgets.
   * @default the detected spec, unchanged
   */
  spec?: (detected: ModelSpec, info: LangChainModelCallInfo) => ModelSpec;
}

type Calls = Map<string, ModelCallHandle>;

/**
 * A LangChain callback handler that routes every chat-model (and LLM) call through a warden run:
 * before the call the run's kill / abort / step / token / cost / duration checks run and the step is
 * counted (a `RunStop` thrown there aborts the call); after it the usage is read from the `LLMResult`
 * (the messages' `usage_metadata`, else `llmOutput.tokenUsage`), priced, settled against the budgets, and a
 * `chat {model}` span is recorded under the run span.
 *
 * `raiseError` is on (which makes LangChain await the handler), because a guard that LangChain
 * merely logged would not guard anything. Create it with {@link wardenCallbacks}.
 */
export class WardenCallbackHandler extends BaseCallbackHandler {
  name = 'agent_warden';
  readonly #options: WardenCallbacksOptions;
  readonly #calls: Calls;

  constructor(options: WardenCallbacksOptions = {}, calls: Calls = new Map()) {
    super({
      raiseError: true,
      _awaitHandler: true,
      ignoreChain: true,
      ignoreAgent: true,
      ignoreRetriever: true,
      ignoreCustomEvent: true,
    });
    this.#options = options;
    this.#calls = calls;
  }

  static override lc_name(): string {
    return 'WardenCallbackHandler';
  }

  /** A copy shares the open calls, so a call started on one copy ends on another. */
  override copy(): WardenCallbackHandler {
    return new WardenCallbackHandler(this.#options, this.#calls);
  }

  override async handleChatModelStart(
    llm: Serialized,
    _messages: BaseMessage[][],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    await this.#start(runId, { operation: 'chat', serialized: llm, extraParams, metadata });
  }

  override async handleLLMStart(
    llm: Serialized,
    _prompts: string[],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    await this.#start(runId, { operation: 'text_completion', serialized: llm, extraParams, metadata });
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const handle = this.#take(runId);
    if (!handle) return;
    // Missing usage ends the run with `usage_unavailable` (token budgets are always on).
    await handle.end(usageOfResult(output), output);
  }

  override async handleLLMError(error: unknown, runId: string): Promise<void> {
    await this.#take(runId)?.fail(error);
  }

  async #start(runId: string, info: LangChainModelCallInfo): Promise<void> {
    const run = runImplOf(this.#options.run ?? currentRun(), 'wardenCallbacks');
    const detected = detectModelSpec(info);
    const spec = this.#options.spec ? this.#options.spec(detected, info) : detected;
    // Throws the RunStop when the run must end; LangChain rethrows it and the model is not called.
    const handle = await beginGuardedModelCall(run, spec);
    this.#calls.set(runId, handle);
  }

  #take(runId: string): ModelCallHandle | undefined {
    const handle = this.#calls.get(runId);
    this.#calls.delete(runId);
    return handle;
  }
}

/**
 * A callback handler that counts every LangChain model call against the current warden run's step,
 * token and cost budgets and records `chat {model}` spans. Pass it with the run's signal:
 *
 * ```ts
 * await warden.run({ userId }, (run) =>
 *   graph.invoke(input, { signal: run.signal, callbacks: [wardenCallbacks()] }),
 * );
 * ```
 */
export function wardenCallbacks(options: WardenCallbacksOptions = {}): WardenCallbackHandler {
  return new WardenCallbackHandler(options);
}
