import { SpanStatusCode } from '@opentelemetry/api';
import { RunStop, WardenConfigError, WardenError } from 'agent-warden';
import { toAiSdkTools, wardenMiddleware } from 'agent-warden/ai-sdk';
import { generateText, isStepCount, streamText, wrapLanguageModel } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { expectFailedSpan, expectStopped, setup } from '../../warden/helpers.js';
import { loopingModel, orderTools, scriptedModel, toolResultsIn } from './helpers.js';

type Setup = ReturnType<typeof setup>;
let t: Setup | undefined;
afterEach(async () => {
  await t?.warden.close();
  await t?.tracing.shutdown();
  t = undefined;
});

function agent(options: Parameters<typeof setup>[0] = {}) {
  const tools = orderTools();
  t = setup({ tools: [tools.lookupOrder], ...options });
  return { ...tools, t, aiTools: toAiSdkTools(t.warden) };
}

describe('wardenMiddleware with generateText', () => {
  it('counts steps, tokens and cost and records a chat span per model call', async () => {
    const { t } = agent({ pricing: { 'mock-model-id': { inputPerMTok: 2, outputPerMTok: 8 } } });
    const mock = scriptedModel([{ text: 'Hello.', usage: [1_000, 500] }]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({ sessionId: 's1' }, async (run) => {
      const r = await generateText({ model, prompt: 'hi', abortSignal: run.signal });
      return r.text;
    });

    expect(result).toMatchObject({ status: 'completed', output: 'Hello.' });
    expect(result.usage).toMatchObject({ steps: 1, inputTokens: 1_000, outputTokens: 500 });
    expect(result.usage.costUsd).toBeCloseTo(0.006, 10);
    const span = t.span('chat mock-model-id');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mock-provider',
      'gen_ai.request.model': 'mock-model-id',
      'gen_ai.response.model': 'mock-model-2026',
      'gen_ai.response.id': 'resp_1',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1_000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.conversation.id': 's1',
    });
    expect(span.attributes['gen_ai.usage.cost.amount']).toBeCloseTo(0.006, 10);
    expect(t.tracing.parentOf(span)).toBe(t.span('invoke_agent agent').spanContext().spanId);
    expect(t.events('model_call')).toEqual([
      expect.objectContaining({ model: 'mock-model-id', inputTokens: 1_000, outputTokens: 500 }),
    ]);
  });

  it('provider and model options name the spans and the price', async () => {
    const { t } = agent({ pricing: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } } });
    const model = wrapLanguageModel({
      model: scriptedModel([{ text: 'ok', usage: [1_000_000, 0] }]),
      middleware: wardenMiddleware({ provider: 'openai', model: 'gpt-4.1' }),
    });
    const result = await t.warden.run({}, () => generateText({ model, prompt: 'hi' }));
    expect(result.usage.costUsd).toBe(2);
    expect(t.span('chat gpt-4.1').attributes['gen_ai.provider.name']).toBe('openai');
  });

  it('a step budget stops the loop: the model is not called again', async () => {
    const { t, aiTools, lookupExecute } = agent({ budgets: { run: { steps: 2 } } });
    const mock = loopingModel('lookup_order', { orderId: 'ord_1' });
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    let rejection: unknown;

    const result = await t.warden.run({}, async (run) => {
      await generateText({
        model,
        tools: aiTools,
        stopWhen: isStepCount(10),
        abortSignal: run.signal,
        prompt: 'x',
      }).catch((error: unknown) => {
        rejection = error;
        throw error;
      });
    });

    expectStopped(t, result, {
      code: 'budget_exceeded',
      dimension: 'steps',
      scope: 'run',
      limit: 2,
      used: 2,
    });
    expect(RunStop.isInstance(rejection)).toBe(true);
    expect(mock.doGenerateCalls).toHaveLength(2);
    expect(lookupExecute).toHaveBeenCalledTimes(2);
    expect(t.tracing.byName('chat mock-model-id')).toHaveLength(2);
  });

  it('a token budget stops the loop once the tokens are used up', async () => {
    const { t, aiTools } = agent({ budgets: { run: { tokens: 250 } } });
    const mock = loopingModel('lookup_order', { orderId: 'ord_1' }, [100, 50]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({}, (run) =>
      generateText({
        model,
        tools: aiTools,
        stopWhen: isStepCount(10),
        abortSignal: run.signal,
        prompt: 'x',
      }),
    );

    // Two calls use 300 tokens (the second overshoots, as a call's size is known only after it);
    // the third is refused before it is made.
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'tokens', scope: 'run', limit: 250 });
    expect(mock.doGenerateCalls).toHaveLength(2);
    expect(result.usage).toMatchObject({ steps: 2, inputTokens: 200, outputTokens: 100 });
  });

  it('a kill stops the loop at the next model call', async () => {
    const { t, aiTools } = agent();
    const mock = scriptedModel([
      { toolCalls: [{ name: 'lookup_order', input: { orderId: 'ord_1' } }] },
      { text: 'never reached' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    const result = await t.warden.run({ userId: 'u1' }, async (run) => {
      await t.warden.kill({ userId: 'u1' }, { reason: 'incident' });
      return generateText({
        model,
        tools: aiTools,
        stopWhen: isStepCount(5),
        abortSignal: run.signal,
        prompt: 'x',
      });
    });
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });
    expect(mock.doGenerateCalls).toHaveLength(0);
  });

  it("a kill during a model call aborts the provider request (the run's signal is linked in)", async () => {
    const { t } = agent();
    const { MockLanguageModelV4 } = await import('ai/test');
    let providerSignal: AbortSignal | undefined;
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({
        doGenerate: ({ abortSignal }) => {
          providerSignal = abortSignal;
          void t.warden.kill('global', { reason: 'incident' });
          return new Promise((_, reject) =>
            abortSignal?.addEventListener('abort', () => reject(abortSignal.reason)),
          );
        },
      }),
      middleware: wardenMiddleware(),
    });
    const result = await t.warden.run({}, () => generateText({ model, prompt: 'hi' }));
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });
    expect(providerSignal?.aborted).toBe(true);
    expectFailedSpan(t.span('chat mock-model-id'), 'killed');
    await t.warden.revive('global');
  });

  it('a model response without usage stops the run (usage_unavailable), never a silent zero', async () => {
    const { t } = agent();
    const model = wrapLanguageModel({
      model: new (await import('ai/test')).MockLanguageModelV4({
        doGenerate: async () => ({
          content: [{ type: 'text', text: 'hi' }],
          finishReason: { unified: 'stop', raw: undefined },
          usage: {
            inputTokens: {
              total: undefined,
              noCache: undefined,
              cacheRead: undefined,
              cacheWrite: undefined,
            },
            outputTokens: { total: undefined, text: undefined, reasoning: undefined },
          },
          warnings: [],
        }),
      }),
      middleware: wardenMiddleware(),
    });
    const result = await t.warden.run({}, () => generateText({ model, prompt: 'hi' }));
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'usage_unavailable' } });
  });

  it('outside a run the wrapped model throws and the provider is never called', async () => {
    agent();
    const mock = scriptedModel([{ text: 'never' }]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    await expect(generateText({ model, prompt: 'hi', maxRetries: 0 })).rejects.toSatisfy(
      (e) => WardenError.isInstance(e) && e.code === 'no_current_run',
    );
    expect(mock.doGenerateCalls).toHaveLength(0);
  });

  it('rejects unknown options with a WardenConfigError', () => {
    expect(() => wardenMiddleware({ modle: 'x' } as never)).toThrow(WardenConfigError);
    expect(() => wardenMiddleware({ provider: '' })).toThrow(/wardenMiddleware\(options\)\.provider/);
  });
});

describe('wardenMiddleware with streamText', () => {
  it("counts usage from the stream's finish part and records the chat span", async () => {
    const { t } = agent({ pricing: { 'mock-model-id': { inputPerMTok: 2, outputPerMTok: 8 } } });
    const mock = scriptedModel([{ text: 'Streaming hello.', usage: [1_000, 500] }]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({}, async (run) => {
      const r = streamText({ model, prompt: 'hi', abortSignal: run.signal });
      return await r.text;
    });

    expect(result).toMatchObject({ status: 'completed', output: 'Streaming hello.' });
    expect(result.usage).toMatchObject({ steps: 1, inputTokens: 1_000, outputTokens: 500 });
    expect(result.usage.costUsd).toBeCloseTo(0.006, 10);
    const span = t.span('chat mock-model-id');
    expect(span.status.code).toBe(SpanStatusCode.OK);
    expect(span.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 1_000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.response.model': 'mock-model-2026',
      'gen_ai.response.id': 'resp_s',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(t.tracing.parentOf(span)).toBe(t.span('invoke_agent agent').spanContext().spanId);
  });

  it('runs a multi-step tool loop with guarded tools', async () => {
    const { t, aiTools, lookupExecute } = agent();
    const mock = scriptedModel([
      { toolCalls: [{ name: 'lookup_order', input: { orderId: 'ord_3' } }], usage: [100, 10] },
      { text: 'Delivered.', usage: [120, 5] },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({}, async (run) => {
      const r = streamText({
        model,
        tools: aiTools,
        stopWhen: isStepCount(5),
        abortSignal: run.signal,
        prompt: 'x',
      });
      return await r.text;
    });

    expect(result).toMatchObject({ status: 'completed', output: 'Delivered.' });
    expect(lookupExecute).toHaveBeenCalledTimes(1);
    expect(result.usage).toMatchObject({ steps: 2, toolCalls: 1, inputTokens: 220, outputTokens: 15 });
    expect(toolResultsIn(mock.doStreamCalls[1])).toEqual([
      {
        toolName: 'lookup_order',
        output: { type: 'json', value: { orderId: 'ord_3', status: 'delivered' } },
      },
    ]);
    const runSpanId = t.span('invoke_agent agent').spanContext().spanId;
    expect(t.tracing.parentOf(t.span('execute_tool lookup_order'))).toBe(runSpanId);
  });

  it('a step budget stops the streaming loop: the model is not called again', async () => {
    const { t, aiTools } = agent({ budgets: { run: { steps: 2 } } });
    const mock = loopingModel('lookup_order', { orderId: 'ord_1' });
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    const errors: unknown[] = [];

    const result = await t.warden.run({}, async (run) => {
      const r = streamText({
        model,
        tools: aiTools,
        stopWhen: isStepCount(10),
        abortSignal: run.signal,
        prompt: 'x',
        onError: ({ error }) => {
          errors.push(error);
        },
      });
      await r.consumeStream();
    });

    expectStopped(t, result, {
      code: 'budget_exceeded',
      dimension: 'steps',
      scope: 'run',
      limit: 2,
      used: 2,
    });
    expect(mock.doStreamCalls).toHaveLength(2);
  });

  it('a token budget stops the streaming loop, counted from the finish parts', async () => {
    const { t, aiTools } = agent({ budgets: { run: { tokens: 250 } } });
    const mock = loopingModel('lookup_order', { orderId: 'ord_1' }, [100, 50]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({}, async (run) => {
      const r = streamText({
        model,
        tools: aiTools,
        stopWhen: isStepCount(10),
        abortSignal: run.signal,
        prompt: 'x',
      });
      await r.consumeStream();
    });

    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'tokens', limit: 250 },
    });
    expect(mock.doStreamCalls).toHaveLength(2);
    expect(result.usage).toMatchObject({ steps: 2, inputTokens: 200, outputTokens: 100 });
  });

  it('a stream that ends without a finish part stops the run (usage_unavailable)', async () => {
    const { t } = agent();
    const mock = scriptedModel([{ text: 'no usage' }, { text: 'never' }], { finish: false });
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({}, async (run) => {
      const r = streamText({ model, prompt: 'hi', abortSignal: run.signal, onError: () => {} });
      await r.consumeStream();
    });

    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'usage_unavailable' } });
    expect(mock.doStreamCalls).toHaveLength(1);
    expect(t.span('chat mock-model-id').attributes['error.type']).toBe('usage_unavailable');
  });

  it('outside a run the streaming model reports the error and the provider is never called', async () => {
    agent();
    const mock = scriptedModel([{ text: 'never' }]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    const errors: unknown[] = [];
    const r = streamText({
      model,
      prompt: 'hi',
      maxRetries: 0,
      onError: ({ error }) => void errors.push(error),
    });
    await r.consumeStream();
    expect(errors).toEqual([expect.objectContaining({ code: 'no_current_run' })]);
    expect(mock.doStreamCalls).toHaveLength(0);
  });
});
