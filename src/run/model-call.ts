import { context as otelContext, SpanKind } from '@opentelemetry/api';
import { computeCostUsd, findPrice, type ModelPrice } from '../budget/pricing.js';
import type { Amounts, Reservation } from '../budget/scoped.js';
import { extractResponseInfo, extractUsage, type ModelUsage, normalizeUsage } from '../budget/usage.js';
import { WardenConfigError } from '../errors.js';
import { raceAbort } from '../internal/abort.js';
import { ATTR, OPERATION } from '../telemetry/attributes.js';
import { errorTypeOf, type SpanHandle, startSpan } from '../telemetry/span.js';
import { checkAndReserve, storeErrorEvent } from './before-call.js';
import type { RunImpl } from './run.js';
import type { ModelCallOptions, ModelSpec, UsageInput } from './types.js';

/** A model call that has passed its checks and holds a reservation. */
export interface ModelCallHandle {
  readonly span: SpanHandle;
  /** Record the call's usage, settle budgets and end the span. Throws `RunStop` when usage is missing. */
  end(usage: UsageInput | null | undefined, response: unknown): Promise<void>;
  /** The call failed: settle the reservation with nothing spent and end the span. */
  fail(error: unknown): Promise<void>;
}

function checkSpec(spec: ModelSpec): void {
  if (typeof spec !== 'object' || spec === null) {
    throw new WardenConfigError({
      path: 'run.model(spec)',
      message: 'expected { model: string, provider?: string }',
    });
  }
  if (typeof spec.model !== 'string' || spec.model.length === 0 || spec.model.length > 256) {
    throw new WardenConfigError({
      path: 'run.model(spec).model',
      message: 'expected a model name (1-256 characters)',
    });
  }
  if (spec.provider !== undefined && typeof spec.provider !== 'string') {
    throw new WardenConfigError({
      path: 'run.model(spec).provider',
      message: 'expected a string such as "openai"',
    });
  }
  const e = spec.estimate as Record<string, unknown> | undefined;
  if (e !== undefined) {
    for (const [k, v] of Object.entries(e)) {
      if (
        !['inputTokens', 'outputTokens', 'costUsd'].includes(k) ||
        typeof v !== 'number' ||
        !(v >= 0) ||
        !Number.isFinite(v)
      ) {
        throw new WardenConfigError({
          path: `run.model(spec).estimate.${k}`,
          message: 'expected { inputTokens?, outputTokens? } or { costUsd } with finite numbers >= 0',
        });
      }
    }
  }
}

function estimateOf(spec: ModelSpec, price: ModelPrice | undefined): { tokens: number; costUsd: number } {
  const e = spec.estimate;
  if (!e) return { tokens: 0, costUsd: 0 };
  if ('costUsd' in e) return { tokens: 0, costUsd: e.costUsd };
  const inputTokens = e.inputTokens ?? 0;
  const outputTokens = e.outputTokens ?? 0;
  const tokens = inputTokens + outputTokens;
  const costUsd = price
    ? computeCostUsd(
        { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 },
        price,
      )
    : 0;
  return { tokens, costUsd };
}

/**
 * Check the run's budgets before a model call, reserve against scoped
 * budgets, count the step and open the span. With `precheck: false`
 * (usage reported after the fact) the budget ceilings are not checked.
 */
export async function beginModelCall(
  run: RunImpl,
  spec: ModelSpec,
  { precheck }: { precheck: boolean },
): Promise<ModelCallHandle> {
  checkSpec(spec);
  const { options } = run.core;
  const costActive = options.budgets.costActive || run.limits.costUsd !== undefined;
  const price = findPrice(options.pricing, spec.model);
  if (precheck) run.checkLocal();
  const estimate = estimateOf(spec, price);
  // What stops the call without asking the store, in the order the checks are made after the kill check.
  const localStop = (): (() => never) | null => {
    if (costActive && !price) {
      return () =>
        run.stop(
          { code: 'price_unknown', model: spec.model },
          `a cost budget is set but model '${spec.model}' has no price; add it to the warden's pricing option`,
        );
    }
    if (!precheck) return null;
    const c = run.counters;
    const { limits } = run;
    if (c.steps >= limits.steps) return () => run.exceed('steps', 'run', limits.steps, c.steps);
    const tokens = c.inputTokens + c.outputTokens;
    if (tokens >= limits.tokens || tokens + estimate.tokens > limits.tokens) {
      return () => run.exceed('tokens', 'run', limits.tokens, tokens);
    }
    if (
      limits.costUsd !== undefined &&
      (c.costUsd >= limits.costUsd || c.costUsd + estimate.costUsd > limits.costUsd)
    ) {
      const cost = limits.costUsd;
      return () => run.exceed('costUsd', 'run', cost, c.costUsd);
    }
    return null;
  };
  const amounts: Amounts = { steps: 1, tokens: estimate.tokens };
  if (costActive) amounts.costUsd = estimate.costUsd;
  let reservationId = `${run.id}:${run.core.generateId()}`;
  let reservation: Reservation | null = null;
  const stop = localStop();
  if (stop) {
    // The kill switch is checked first, as always; then the call stops without reserving anything.
    if (precheck) await run.check();
    stop();
  } else if (precheck) {
    // The kill check and the scoped reservation share one store round trip.
    ({ reservationId, reservation } = await checkAndReserve(run, amounts));
    // Concurrent calls of this run may have counted meanwhile: check the ceilings again.
    const late = localStop();
    if (late) {
      if (reservation) {
        await run.scoped
          .settle(reservationId, reservation, {})
          .catch((error: unknown) => storeErrorEvent(run.span, 'settle', error));
      }
      late();
    }
  }
  run.add({ steps: 1 });

  const operation = spec.operation ?? OPERATION.CHAT;
  const span = startSpan(
    run.core.tracer,
    `${operation} ${spec.model}`,
    SpanKind.CLIENT,
    {
      [ATTR.GEN_AI_OPERATION_NAME]: operation,
      [ATTR.GEN_AI_REQUEST_MODEL]: spec.model,
      ...(spec.provider ? { [ATTR.GEN_AI_PROVIDER_NAME]: spec.provider } : {}),
      ...(run.sessionId !== undefined ? { [ATTR.GEN_AI_CONVERSATION_ID]: run.sessionId } : {}),
    },
    run.span.context,
  );
  const startedAt = run.core.clock.now();
  let settled = false;

  const audit = (outcome: string, usage?: ModelUsage, costUsd?: number, response?: unknown) =>
    run.core.audit.emit(
      run.identity,
      {
        type: 'model_call',
        model: spec.model,
        ...(spec.provider ? { provider: spec.provider } : {}),
        ...(usage
          ? {
              inputTokens: usage.inputTokens,
              outputTokens: usage.outputTokens,
              cachedInputTokens: usage.cachedInputTokens,
            }
          : {}),
        ...(costUsd !== undefined ? { costUsd } : {}),
        durationMs: Math.max(0, run.core.clock.now() - startedAt),
        outcome,
      },
      response === undefined
        ? undefined
        : () => ({ response, spec: { model: spec.model, provider: spec.provider } }),
    );

  return {
    span,
    async fail(error) {
      if (settled) return;
      settled = true;
      const type = run.stopped?.code ?? errorTypeOf(error);
      span.fail(type, error instanceof Error ? error.message : String(error), error);
      span.end();
      audit(type);
      await run.settleScoped(reservationId, reservation, {
        steps: 1,
        tokens: 0,
        ...(costActive ? { costUsd: 0 } : {}),
      });
    },
    async end(input, response) {
      if (settled) return;
      settled = true;
      let usage: ModelUsage | null = null;
      if (input) {
        try {
          usage = normalizeUsage(input);
        } catch (error) {
          span.fail('invalid_usage', (error as Error).message, error);
          span.end();
          throw new WardenConfigError({ path: 'usage', message: (error as Error).message, cause: error });
        }
      }
      if (response !== undefined) {
        const info = extractResponseInfo(response);
        if (info.responseModel) span.span.setAttribute(ATTR.GEN_AI_RESPONSE_MODEL, info.responseModel);
        if (info.responseId) span.span.setAttribute(ATTR.GEN_AI_RESPONSE_ID, info.responseId);
        if (info.finishReasons?.length)
          span.span.setAttribute(ATTR.GEN_AI_RESPONSE_FINISH_REASONS, info.finishReasons);
      }
      if (!usage) {
        // Token budgets are always active (finite default), so unknown usage must stop the run.
        await run.settleScoped(reservationId, reservation, {
          steps: 1,
          tokens: estimate.tokens,
          ...(costActive ? { costUsd: estimate.costUsd } : {}),
        });
        span.fail('usage_unavailable', 'no token usage could be read from the response');
        span.end();
        audit('usage_unavailable', undefined, undefined, response);
        run.stop(
          { code: 'usage_unavailable', model: spec.model },
          `token usage of model '${spec.model}' could not be read from its response, so budgets cannot be enforced; ` +
            'pass { usage: (response) => ({ inputTokens, outputTokens }) } to run.model or report it with run.recordUsage',
        );
      }
      const costUsd = price ? computeCostUsd(usage, price) : undefined;
      run.add({
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cachedInputTokens: usage.cachedInputTokens,
        costUsd: costUsd ?? 0,
      });
      const s = span.span;
      s.setAttribute(ATTR.GEN_AI_USAGE_INPUT_TOKENS, usage.inputTokens);
      s.setAttribute(ATTR.GEN_AI_USAGE_OUTPUT_TOKENS, usage.outputTokens);
      if (usage.cachedInputTokens)
        s.setAttribute(ATTR.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cachedInputTokens);
      if (usage.cacheWriteInputTokens) {
        s.setAttribute(ATTR.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, usage.cacheWriteInputTokens);
      }
      if (usage.reasoningTokens)
        s.setAttribute(ATTR.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoningTokens);
      if (costUsd !== undefined) {
        s.setAttribute(ATTR.GEN_AI_USAGE_COST_AMOUNT, costUsd);
        s.setAttribute(ATTR.GEN_AI_USAGE_COST_CURRENCY, 'USD');
        s.setAttribute(ATTR.GEN_AI_USAGE_COST_SOURCE, 'local');
      }
      span.end();
      audit('ok', usage, costUsd, response);
      await run.settleScoped(reservationId, reservation, {
        steps: 1,
        tokens: usage.inputTokens + usage.outputTokens,
        ...(costActive ? { costUsd: costUsd ?? 0 } : {}),
      });
    },
  };
}

/** `run.model()`: checks, reservation, the call (raced against the run's signal), usage, settlement. */
export async function callModel<T>(
  run: RunImpl,
  spec: ModelSpec,
  call: (signal: AbortSignal) => Promise<T>,
  options: ModelCallOptions<T> | undefined,
): Promise<T> {
  if (typeof call !== 'function') {
    throw new WardenConfigError({
      path: 'run.model(call)',
      message: 'expected a function (signal) => Promise<response>',
    });
  }
  const handle = await beginModelCall(run, spec, { precheck: true });
  let response: T;
  let usage: UsageInput | null | undefined;
  try {
    response = await raceAbort(
      otelContext.with(handle.span.context, () => Promise.resolve().then(() => call(run.signal))),
      run.signal,
    );
    usage = options?.usage ? options.usage(response) : extractUsage(response)?.usage;
  } catch (error) {
    await handle.fail(error);
    throw run.stopped ?? error;
  }
  await handle.end(usage, response);
  return response;
}
