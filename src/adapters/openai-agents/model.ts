import {
  getDefaultModel,
  type Model,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  type ModelRetryAdvice,
  type ModelRetryAdviceRequest,
  type StreamEvent,
} from '@openai/agents';
import { context as otelContext } from '@opentelemetry/api';
import { ATTR, type ModelSpec, RunStop, type UsageInput, WardenConfigError } from '../../index.js';
import { type RunImpl, raceAbort } from '../shared/internal.js';
import { beginGuardedModelCall, currentRunImpl, type ModelCallHandle } from '../shared/model-call.js';
import { linkSignals } from '../shared/signals.js';
import { agentsUsage } from './usage.js';

/** Options of {@link wardenModel} and {@link wardenModelProvider}. */
export interface WardenModelOptions {
  /**
   * The model name to budget and price calls under (a key of the warden's `pricing`) and to name the
   * `chat {model}` spans. `wardenModelProvider` uses the name the SDK asks for.
   * @default the wrapped model's own name when it exposes one (OpenAI Responses models do); else required
   */
  model?: string;
  /** `gen_ai.provider.name` of the spans. @default 'openai' */
  provider?: string;
  /** Reserved against session / user / tenant budgets before each call (see `ModelSpec.estimate`). */
  estimate?: ModelSpec['estimate'];
  /**
   * Read usage from a response yourself. `null` / `undefined` means unavailable, which stops the run.
   * @default the response's `usage` (see `agentsUsage`): zero input and output tokens count as unavailable
   */
  usage?: (response: ModelResponse) => UsageInput | null | undefined;
}

const WRAPPED = Symbol.for('agent-warden.openai-agents.model');

function withSignal(request: ModelRequest, run: RunImpl): ModelRequest {
  return { ...request, signal: linkSignals(request.signal, run.signal) };
}

/** A Model that counts every call against the current warden run (see {@link wardenModel}). */
class WardenModel implements Model {
  readonly [WRAPPED] = true;
  readonly #inner: Model;
  readonly #spec: ModelSpec;
  readonly #usage: (response: ModelResponse) => UsageInput | null | undefined;

  constructor(inner: Model, spec: ModelSpec, usage: WardenModelOptions['usage']) {
    this.#inner = inner;
    this.#spec = spec;
    this.#usage = usage ?? ((response) => agentsUsage(response?.usage));
  }

  get supportsPromptModelSelection(): boolean | undefined {
    return this.#inner.supportsPromptModelSelection;
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const run = currentRunImpl('wardenModel().getResponse');
    const handle = await beginGuardedModelCall(run, this.#spec);
    let response: ModelResponse;
    let usage: UsageInput | null | undefined;
    try {
      const call = () => Promise.resolve().then(() => this.#inner.getResponse(withSignal(request, run)));
      // Raced against the run's signal: a model that ignores its signal cannot hold the run.
      response = await raceAbort(otelContext.with(handle.span.context, call), run.signal);
      usage = this.#usage(response);
    } catch (error) {
      await handle.fail(error);
      throw run.stopped ?? error;
    }
    setResponseId(handle, response?.responseId);
    await handle.end(usage, response);
    return response;
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const run = currentRunImpl('wardenModel().getStreamedResponse');
    const handle = await beginGuardedModelCall(run, this.#spec);
    let settled = false;
    let done = false;
    const iterator = otelContext
      .with(handle.span.context, () => this.#inner.getStreamedResponse(withSignal(request, run)))
      [Symbol.asyncIterator]();
    try {
      for (;;) {
        // Each read is raced against the run's signal, like a non-streamed call.
        const next = await raceAbort(Promise.resolve(iterator.next()), run.signal);
        if (next.done) {
          done = true;
          break;
        }
        const event = next.value;
        if (event.type === 'response_done') {
          // Count the usage before the SDK acts on the response (runs its tool calls).
          const usage = this.#usage(event.response as unknown as ModelResponse);
          setResponseId(handle, event.response.id);
          settled = true;
          await handle.end(usage, event.response);
        }
        yield event;
      }
      if (!settled) {
        settled = true;
        await handle.end(null, undefined); // the stream ended without a response_done: no usage
      }
    } catch (error) {
      if (!settled) {
        settled = true;
        await handle.fail(error);
      }
      throw run.stopped ?? error;
    } finally {
      // The SDK stopped reading early (or the run stopped): close the inner stream, without waiting
      // on a model that may not answer.
      if (!done) Promise.resolve(iterator.return?.()).catch(() => {});
      if (!settled)
        await failQuietly(handle, new Error('the stream was closed before the response finished'));
    }
  }

  async getRetryAdvice(args: ModelRetryAdviceRequest): Promise<ModelRetryAdvice | undefined> {
    if (RunStop.isInstance(args.error)) {
      return {
        suggested: false,
        replaySafety: 'unsafe',
        reason: `the warden stopped the run (${args.error.code})`,
      };
    }
    return this.#inner.getRetryAdvice?.(args);
  }
}

function setResponseId(handle: ModelCallHandle, id: unknown): void {
  if (typeof id === 'string' && id.length > 0) handle.span.span.setAttribute(ATTR.GEN_AI_RESPONSE_ID, id);
}

async function failQuietly(handle: ModelCallHandle, error: Error): Promise<void> {
  try {
    await handle.fail(error);
  } catch {
    // Settling is best effort here; the run is already unwinding.
  }
}

function ownName(model: Model): string | undefined {
  const name = (model as { _model?: unknown })._model;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

function checkModel(model: unknown, path: string): asserts model is Model {
  const m = model as Partial<Model> | null | undefined;
  if (typeof m?.getResponse !== 'function' || typeof m.getStreamedResponse !== 'function') {
    throw new WardenConfigError({
      path,
      message: 'expected an Agents SDK Model (an object with getResponse and getStreamedResponse)',
    });
  }
}

/**
 * Wrap an Agents SDK `Model` so every model turn of an SDK run is a guarded model call of the
 * current warden run. Pass the result as the `Agent`'s `model`.
 *
 * Before each call (`getResponse`, `getStreamedResponse`): the kill switch, the run's abort and the
 * step, token, cost and duration budgets are checked and scoped budgets are reserved — a `RunStop`
 * is thrown instead of calling the model, which ends the SDK run. The run's signal is combined with
 * the SDK's, so a stop also aborts a request in flight. After each call: the response's `usage` is
 * counted and priced, and a `chat {model}` span is recorded under the run span. A call outside
 * `warden.run()` throws.
 *
 * @example
 * ```ts
 * const agent = new Agent({ name: 'support', model: wardenModel(new ScriptedModel(turns), { model: 'gpt-4.1' }) });
 * ```
 */
export function wardenModel(model: Model, options: WardenModelOptions = {}): Model {
  checkModel(model, 'wardenModel(model)');
  if ((model as { [WRAPPED]?: boolean })[WRAPPED]) return model;
  const name = options.model ?? ownName(model);
  if (typeof name !== 'string' || name.length === 0) {
    throw new WardenConfigError({
      path: 'wardenModel(options).model',
      message:
        "this model does not expose its name; pass { model: 'gpt-4.1' } — it prices the calls and names their spans",
    });
  }
  if (options.usage !== undefined && typeof options.usage !== 'function') {
    throw new WardenConfigError({
      path: 'wardenModel(options).usage',
      message: 'expected a function (response) => ({ inputTokens, outputTokens })',
    });
  }
  const spec: ModelSpec = {
    model: name,
    provider: options.provider ?? 'openai',
    ...(options.estimate ? { estimate: options.estimate } : {}),
  };
  return new WardenModel(model, spec, options.usage);
}

/**
 * Wrap an Agents SDK `ModelProvider` so every model it hands out is a {@link wardenModel}, named as
 * the SDK asked for it (the SDK's default model when the agent names none). Use it where agents name
 * their model as a string: `new Runner({ modelProvider: wardenModelProvider(new OpenAIProvider()) })`.
 */
export function wardenModelProvider(
  provider: ModelProvider,
  options: Omit<WardenModelOptions, 'model'> = {},
): ModelProvider {
  if (typeof provider?.getModel !== 'function') {
    throw new WardenConfigError({
      path: 'wardenModelProvider(provider)',
      message: 'expected an Agents SDK ModelProvider (an object with getModel)',
    });
  }
  return {
    async getModel(modelName?: string): Promise<Model> {
      const model = await provider.getModel(modelName);
      return wardenModel(model, { ...options, model: modelName || ownName(model) || getDefaultModel() });
    },
  };
}
