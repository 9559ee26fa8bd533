import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { FakeBuiltModel, fakeModel } from '@langchain/core/testing';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { SpanStatusCode } from '@opentelemetry/api';
import { defineTool, WardenError } from 'agent-warden';
import {
  toLangChainTools,
  WardenCallbackHandler,
  wardenCallbacks,
  wardenRunConfig,
} from 'agent-warden/langchain';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { z } from 'zod';
import { expectFailedSpan, expectStopped, setup } from '../../warden/helpers.js';
import { aiMessage } from './fixtures.js';

/** LangChain's fake chat model, reporting itself like ChatOpenAI does (`ls_provider`, `ls_model_name`). */
class FakeOpenAIChat extends FakeBuiltModel {
  override getLsParams(options: this['ParsedCallOptions']) {
    return { ...super.getLsParams(options), ls_provider: 'openai', ls_model_name: 'gpt-4.1-mini' };
  }
}

function openAiModel(turns: number, usage = { input: 1_000, output: 100 }) {
  const model = new FakeOpenAIChat();
  for (let i = 0; i < turns; i++) model.respond(aiMessage({ text: `answer ${i}`, usage }));
  return model;
}

const hi = [new HumanMessage('hi')];
const pricing = { 'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 } };

let consoleError: MockInstance;
beforeEach(() => {
  // LangChain logs every error a raiseError handler throws before rethrowing it; keep test output clean.
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => consoleError.mockRestore());

describe('wardenCallbacks', () => {
  it('is a raising, awaited LangChain callback handler', () => {
    const handler = wardenCallbacks();
    expect(handler).toBeInstanceOf(WardenCallbackHandler);
    expect(handler.raiseError).toBe(true);
    expect(handler.awaitHandlers).toBe(true);
    expect(handler.copy()).toBeInstanceOf(WardenCallbackHandler);
  });

  it('records a chat {model} span per call under the run span, with provider, usage and cost', async () => {
    const t = setup({ pricing });
    const model = openAiModel(2);

    const result = await t.warden.run({ sessionId: 's1' }, async (run) => {
      await model.invoke(hi, wardenRunConfig(run));
      return (await model.invoke(hi, { callbacks: [wardenCallbacks()] })).content;
    });

    expect(result).toMatchObject({ status: 'completed', output: 'answer 1' });
    expect(result.usage).toMatchObject({ steps: 2, inputTokens: 2_000, outputTokens: 200 });
    expect(result.usage.costUsd).toBeCloseTo((2 * (1_000 * 0.4 + 100 * 1.6)) / 1e6, 12);
    const runSpan = t.span('invoke_agent agent');
    const spans = t.tracing.byName('chat gpt-4.1-mini');
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(t.tracing.parentOf(span)).toBe(runSpan.spanContext().spanId);
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4.1-mini',
        'gen_ai.conversation.id': 's1',
        'gen_ai.usage.input_tokens': 1_000,
        'gen_ai.usage.output_tokens': 100,
        'gen_ai.usage.cost.currency': 'USD',
      });
    }
    expect(t.events('model_call')).toHaveLength(2);
    await t.warden.close();
  });

  it('a cost budget stops the run before the call that would start past it', async () => {
    const t = setup({ pricing, budgets: { run: { costUsd: 0.001 } } });
    const model = openAiModel(10);

    const result = await t.warden.run({}, async (run) => {
      for (;;) await model.invoke(hi, wardenRunConfig(run));
    });

    // 0.00056 USD a call: the second call starts under the limit, the third is refused.
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'costUsd', limit: 0.001 });
    expect(model.callCount).toBe(2);
    await t.warden.close();
  });

  it('a model that reports no usage stops the run with usage_unavailable (token budgets cannot be enforced)', async () => {
    const t = setup();
    const model = fakeModel()
      .respondWithTools([{ name: 'x', args: {} }])
      .respond(new AIMessage('again'));

    const result = await t.warden.run({}, async (run) => {
      await model.invoke(hi, wardenRunConfig(run));
      await model.invoke(hi, wardenRunConfig(run));
    });

    expectStopped(t, result, { code: 'usage_unavailable', model: 'FakeBuiltModel' });
    expect(model.callCount).toBe(1);
    expectFailedSpan(t.span('chat FakeBuiltModel'), 'usage_unavailable');
    await t.warden.close();
  });

  it('a failing model call ends its span as failed and the error reaches the caller', async () => {
    const t = setup();
    const model = fakeModel().respond(new Error('provider is down'));

    await expect(t.warden.run({}, (run) => model.invoke(hi, wardenRunConfig(run)))).rejects.toThrow(
      'provider is down',
    );

    const span = t.span('chat FakeBuiltModel');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('Error');
    await t.warden.close();
  });

  it('refuses a model call outside a run: the model is not called', async () => {
    const model = openAiModel(1);
    await expect(model.invoke(hi, { callbacks: [wardenCallbacks()] })).rejects.toSatisfy(
      (e) => WardenError.isInstance(e) && e.code === 'no_current_run',
    );
    expect(model.callCount).toBe(0);
  });

  it('spec lets the caller rename the model for pricing and add an estimate', async () => {
    const t = setup({ pricing: { 'my-gpt': { inputPerMTok: 1, outputPerMTok: 1 } } });
    const model = openAiModel(1);
    const spec = vi.fn((detected: { model: string; provider?: string }) => ({
      ...detected,
      model: 'my-gpt',
      estimate: { inputTokens: 1_000, outputTokens: 100 },
    }));

    const result = await t.warden.run({}, (run) => model.invoke(hi, wardenRunConfig(run, { spec })));

    expect(spec).toHaveBeenCalledWith(
      { model: 'gpt-4.1-mini', provider: 'openai', operation: 'chat' },
      expect.objectContaining({ operation: 'chat' }),
    );
    expect(result.usage.costUsd).toBeCloseTo(1_100 / 1e6, 12);
    expect(t.tracing.byName('chat my-gpt')).toHaveLength(1);
    await t.warden.close();
  });
});

describe('wardenCallbacks in a graph', () => {
  it('counts model calls a node makes without passing its config on, and under graph.stream', async () => {
    const search = defineTool({
      name: 'search',
      description: 'Search',
      input: z.object({ q: z.string() }),
      effect: 'read',
      execute: async () => 'result',
    });
    const t = setup({ tools: [search] });
    const tools = toLangChainTools(t.warden);
    const build = () => {
      const model = fakeModel()
        .respond(aiMessage({ toolCalls: [{ name: 'search', args: { q: 'a' } }] }))
        .respond(aiMessage({ text: 'done' }));
      const bound = model.bindTools(tools);
      return (
        new StateGraph(MessagesAnnotation)
          // No config passed: LangChain hands the graph's callbacks down through its own async context.
          .addNode('agent', async (state) => ({ messages: [await bound.invoke(state.messages)] }))
          .addNode('tools', new ToolNode(tools))
          .addEdge(START, 'agent')
          .addConditionalEdges('agent', toolsCondition, ['tools', END])
          .addEdge('tools', 'agent')
          .compile()
      );
    };

    const invoked = await t.warden.run({}, (run) => build().invoke({ messages: hi }, wardenRunConfig(run)));
    const streamed = await t.warden.run({}, async (run) => {
      const stream = await build().stream(
        { messages: hi },
        { ...wardenRunConfig(run), streamMode: 'messages' },
      );
      let chunks = 0;
      for await (const _ of stream) chunks++;
      return chunks;
    });

    for (const result of [invoked, streamed]) {
      expect(result.status).toBe('completed');
      expect(result.usage).toMatchObject({ steps: 2, toolCalls: 1, inputTokens: 200, outputTokens: 20 });
    }
    await t.warden.close();
  });
});
