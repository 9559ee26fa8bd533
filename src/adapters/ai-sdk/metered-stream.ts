import { context as otelContext } from '@opentelemetry/api';
import type { LanguageModelMiddleware } from 'ai';
import { extractUsage, type ModelSpec } from '../../index.js';
import { type RunImpl, raceAbort } from '../shared/internal.js';
import { beginGuardedModelCall, type ModelCallHandle } from '../shared/model-call.js';

type WrapStream = NonNullable<LanguageModelMiddleware['wrapStream']>;
/** A provider's `doStream` result (LanguageModelV4StreamResult). */
export type StreamResult = Awaited<ReturnType<WrapStream>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer Part> ? Part : never;
type FinishPart = Extract<StreamPart, { type: 'finish' }>;

/** What the stream said about itself, gathered as it passes. */
interface Observed {
  finish?: FinishPart;
  responseId?: string;
  modelId?: string;
  error?: unknown;
}

/** The stream's facts in the shape of a provider-level generate result, for usage and span attributes. */
function responseOf(observed: Observed): Record<string, unknown> {
  const response: Record<string, unknown> = {};
  if (observed.responseId !== undefined) response.id = observed.responseId;
  if (observed.modelId !== undefined) response.modelId = observed.modelId;
  return {
    ...(observed.finish ? { usage: observed.finish.usage, finishReason: observed.finish.finishReason } : {}),
    response,
  };
}

/**
 * A pass-through of the provider's stream that settles the model call: on the `finish` part its
 * usage is recorded (steps, tokens, cost, span attributes) before the part is handed on; a stream
 * that errors or is cancelled fails the call; a stream that ends without a `finish` part has no
 * usage, which stops the run with `usage_unavailable` (a token budget cannot count what it cannot
 * see). Each read is raced against the run's signal, so a stopped or killed run ends the stream
 * even when the provider ignores its abort signal.
 */
function meter(source: ReadableStream<StreamPart>, handle: ModelCallHandle, run: RunImpl) {
  const reader = source.getReader();
  const observed: Observed = {};
  let settled = false;

  const settle = async () => {
    if (settled) return;
    settled = true;
    if (!observed.finish && observed.error !== undefined) {
      await handle.fail(observed.error);
      return;
    }
    const response = responseOf(observed);
    await handle.end(extractUsage(response)?.usage, response);
  };

  const observe = (part: StreamPart) => {
    if (part.type === 'response-metadata') {
      if (part.id !== undefined) observed.responseId = part.id;
      if (part.modelId !== undefined) observed.modelId = part.modelId;
    } else if (part.type === 'error') {
      observed.error = part.error;
    } else if (part.type === 'finish') {
      observed.finish = part;
    }
  };

  return new ReadableStream<StreamPart>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await raceAbort(reader.read(), run.signal);
      } catch (error) {
        if (!settled) {
          settled = true;
          await handle.fail(error);
        }
        reader.cancel(error).catch(() => {});
        controller.error(run.stopped ?? error);
        return;
      }
      try {
        if (next.done) {
          await settle();
          controller.close();
          return;
        }
        observe(next.value);
        if (next.value.type === 'finish') await settle();
        controller.enqueue(next.value);
      } catch (error) {
        reader.cancel(error).catch(() => {});
        controller.error(error);
      }
    },
    async cancel(reason) {
      if (!settled) {
        settled = true;
        await handle.fail(reason ?? new Error('the stream was cancelled by its reader'));
      }
      await reader.cancel(reason);
    },
  });
}

/**
 * One streamed model call under the run: pre-call checks and reservation, `doStream` (raced
 * against the run's signal), then the metered stream. Throws the `RunStop` when the call must not
 * be made.
 */
export async function meteredStream(
  run: RunImpl,
  spec: ModelSpec,
  doStream: () => PromiseLike<StreamResult>,
): Promise<StreamResult> {
  const handle = await beginGuardedModelCall(run, spec);
  let result: StreamResult;
  try {
    result = await raceAbort(
      otelContext.with(handle.span.context, () => Promise.resolve().then(doStream)),
      run.signal,
    );
  } catch (error) {
    await handle.fail(error);
    throw run.stopped ?? error;
  }
  return { ...result, stream: meter(result.stream, handle, run) };
}
