import type { LanguageModelMiddleware } from 'ai';
import { currentRun, type ModelSpec, WardenConfigError } from '../../index.js';
import { currentRunImpl } from '../shared/model-call.js';
import { linkSignals } from '../shared/signals.js';
import { meteredStream } from './metered-stream.js';

/** Options of `wardenMiddleware`. All optional. */
export interface WardenMiddlewareOptions {
  /**
   * `gen_ai.provider.name` of the model spans.
   * @default the model's `provider` up to the first dot (`'openai'` for `'openai.chat'`)
   */
  provider?: string;
  /**
   * The model name used for pricing and the `chat {model}` span.
   * @default the model's `modelId`
   */
  model?: string;
  /**
   * Reserved against the budgets before each call and settled to the actual usage after (see
   * `ModelSpec.estimate`), so concurrent runs sharing a session / user / tenant budget cannot
   * overspend it.
   * @default none (the overshoot is at most one call per concurrent run)
   */
  estimate?: ModelSpec['estimate'];
}

type WrappedModel = Parameters<NonNullable<LanguageModelMiddleware['wrapGenerate']>>[0]['model'];

function providerName(provider: string): string {
  const name = provider.split('.')[0];
  return name && name.length > 0 ? name : provider;
}

function checkOptions(options: unknown): WardenMiddlewareOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new WardenConfigError({
      path: 'wardenMiddleware(options)',
      message: 'expected { provider?, model?, estimate? }',
    });
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['provider', 'model', 'estimate'].includes(key)) {
      throw new WardenConfigError({
        path: `wardenMiddleware(options).${key}`,
        message: 'unknown option; accepted: provider, model, estimate',
      });
    }
  }
  for (const key of ['provider', 'model'] as const) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key].length === 0)) {
      throw new WardenConfigError({
        path: `wardenMiddleware(options).${key}`,
        message: 'expected a non-empty string',
      });
    }
  }
  return o as WardenMiddlewareOptions;
}

/**
 * A language-model middleware that routes every model call of `generateText` / `streamText` (and
 * agents) through the current run: before the call, kill / abort / step / token / cost / duration
 * checks and a reservation against the session / user / tenant budgets; after it, usage (from the
 * `doGenerate` result, or from the stream's `finish` part), cost from the warden's `pricing`,
 * settlement, and a `chat {model}` span under the run span. Each model call counts one step.
 *
 * A call the budgets forbid is not made: the middleware throws the `RunStop`, `generateText`
 * rejects with it (`streamText` reports it as an error), and `warden.run()` returns
 * `status: 'stopped'`. The run's signal is linked into every call's `abortSignal`.
 *
 * Outside `warden.run()` the wrapped model throws: it never runs unguarded.
 *
 * @example
 * ```ts
 * const model = wrapLanguageModel({ model: openai('gpt-4.1'), middleware: wardenMiddleware() });
 * await warden.run({ userId }, (run) =>
 *   generateText({ model, tools: toAiSdkTools(warden), stopWhen: isStepCount(10), abortSignal: run.signal, prompt }),
 * );
 * ```
 */
export function wardenMiddleware(options: WardenMiddlewareOptions = {}): LanguageModelMiddleware {
  const o = checkOptions(options);
  const specOf = (model: WrappedModel): ModelSpec => ({
    model: o.model ?? model.modelId,
    provider: o.provider ?? providerName(model.provider),
    ...(o.estimate ? { estimate: o.estimate } : {}),
  });
  return {
    specificationVersion: 'v4',
    async transformParams({ params }) {
      const run = currentRun();
      // The run's signal in the call's: a stopped or killed run aborts the provider request.
      return { ...params, abortSignal: linkSignals(params.abortSignal, run.signal) };
    },
    wrapGenerate({ doGenerate, model }) {
      return currentRun().model(specOf(model), () => Promise.resolve(doGenerate()));
    },
    wrapStream({ doStream, model }) {
      return meteredStream(currentRunImpl('wardenMiddleware().wrapStream'), specOf(model), doStream);
    },
  };
}
