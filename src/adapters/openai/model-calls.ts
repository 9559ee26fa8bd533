import type OpenAI from 'openai';
import { type ModelSpec, type Run, WardenConfigError } from '../../index.js';
import { linkSignals } from '../shared/signals.js';
import { assertRun } from './assert-run.js';

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type ResponseParams = OpenAI.Responses.ResponseCreateParamsNonStreaming;

/** The part of an `OpenAI` client {@link chatCompletion} uses. */
export interface ChatCompletionsClient {
  chat: {
    completions: {
      create(
        body: ChatParams,
        options?: OpenAI.RequestOptions,
      ): PromiseLike<OpenAI.Chat.Completions.ChatCompletion>;
    };
  };
}

/** The part of an `OpenAI` client {@link createResponse} uses. */
export interface ResponsesClient {
  responses: {
    create(body: ResponseParams, options?: OpenAI.RequestOptions): PromiseLike<OpenAI.Responses.Response>;
  };
}

/** Options of {@link chatCompletion} and {@link createResponse}. */
export interface OpenAICallOptions {
  /** Request options for the client (headers, timeout, your own `signal` — combined with the run's). */
  request?: OpenAI.RequestOptions;
  /** `gen_ai.provider.name` of the spans, e.g. `'azure.ai.openai'` for Azure OpenAI. @default 'openai' */
  provider?: string;
  /** Reserved against session / user / tenant budgets before the call (see `ModelSpec.estimate`). */
  estimate?: ModelSpec['estimate'];
  /** The model name to budget and price the call under. @default params.model */
  model?: string;
}

function specOf(fn: string, params: { model?: unknown }, options: OpenAICallOptions): ModelSpec {
  const model = options.model ?? params?.model;
  if (typeof model !== 'string' || model.length === 0) {
    throw new WardenConfigError({
      path: `${fn}(params).model`,
      message: 'expected the model name (or options.model); it prices the call and names its span',
    });
  }
  return {
    provider: options.provider ?? 'openai',
    model,
    ...(options.estimate ? { estimate: options.estimate } : {}),
  };
}

function noStreaming(fn: string, params: { stream?: unknown; background?: unknown }): void {
  if (params?.background) {
    throw new WardenConfigError({
      path: `${fn}(params).background`,
      message:
        'a background response has no usage when it is created, so budgets could not hold; ' +
        'poll it yourself and report its usage with run.recordUsage',
    });
  }
  if (params?.stream) {
    throw new WardenConfigError({
      path: `${fn}(params).stream`,
      message:
        'streaming is not wrapped here; consume the stream inside run.model(spec, (signal) => ...) and return ' +
        'the final usage with it (see docs/adapters/openai.md)',
    });
  }
}

function requestOptions(signal: AbortSignal, request: OpenAI.RequestOptions | undefined) {
  return { ...request, signal: linkSignals(signal, request?.signal ?? undefined) };
}

/**
 * `client.chat.completions.create(params)` as a guarded model call: budgets are checked before it
 * (a `RunStop` is thrown instead of sending the request), the run's signal aborts the HTTP request
 * when the run stops, and the usage of the completion is counted and priced afterwards, under a
 * `chat {model}` span.
 *
 * @example
 * ```ts
 * const completion = await chatCompletion(run, client, { model: 'gpt-4.1', messages, tools });
 * ```
 */
export async function chatCompletion(
  run: Run,
  client: ChatCompletionsClient,
  params: ChatParams,
  options: OpenAICallOptions = {},
): Promise<OpenAI.Chat.Completions.ChatCompletion> {
  assertRun(run, 'chatCompletion');
  noStreaming('chatCompletion', params);
  const spec = specOf('chatCompletion', params, options);
  return run.model(spec, async (signal) =>
    client.chat.completions.create(params, requestOptions(signal, options.request)),
  );
}

/**
 * `client.responses.create(params)` as a guarded model call, like {@link chatCompletion}: budgets
 * before, the run's signal on the request, usage counted and priced after.
 *
 * @example
 * ```ts
 * const response = await createResponse(run, client, { model: 'gpt-4.1', input, tools });
 * ```
 */
export async function createResponse(
  run: Run,
  client: ResponsesClient,
  params: ResponseParams,
  options: OpenAICallOptions = {},
): Promise<OpenAI.Responses.Response> {
  assertRun(run, 'createResponse');
  noStreaming('createResponse', params);
  const spec = specOf('createResponse', params, options);
  return run.model(spec, async (signal) =>
    client.responses.create(params, requestOptions(signal, options.request)),
  );
}
