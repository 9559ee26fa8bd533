import { readFileSync } from 'node:fs';
import { type Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type Sampler,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createWarden, defineTool, memoryStore, RunStop, VERSION } from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { inMemoryTracing } from '../support/otel.js';
import {
  anthropicToolUse,
  chatCompletionText,
  chatCompletionToolCall,
  eventsOf,
  expectError,
  expectOk,
  getWeather,
  PRICING,
  responsesFunctionCall,
  searchDocs,
} from './fixtures.js';

describe('run, model and tool spans', () => {
  it('an OpenAI Chat Completions loop: names, kinds and attributes of every span', async () => {
    const otel = inMemoryTracing();
    const clock = createManualClock();
    const warden = createWarden({
      agent: { name: 'support-bot' },
      tools: [searchDocs],
      pricing: PRICING,
      clock,
      telemetry: { tracer: otel.tracer },
    });

    const result = await warden.run(
      { userId: 'u-42', tenantId: 'acme', sessionId: 'conv-7' },
      async (run) => {
        const first = await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () =>
          chatCompletionToolCall(),
        );
        for (const call of first.choices[0]!.message.tool_calls ?? []) {
          const outcome = await run.tool(call.function.name, call.function.arguments, { callId: call.id });
          expect(outcome.ok).toBe(true);
        }
        clock.advance(1500);
        const final = await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () =>
          chatCompletionText(),
        );
        return final.choices[0]!.message.content;
      },
    );
    expect(result.status).toBe('completed');

    const runSpan = otel.one('invoke_agent support-bot');
    const [firstCall, secondCall] = otel.byName('chat gpt-4.1');
    const toolSpan = otel.one('execute_tool search_docs');
    expect(otel.spans()).toHaveLength(4);

    // --- run span
    expect(runSpan.kind).toBe(SpanKind.INTERNAL);
    expect(runSpan.status.code).toBe(SpanStatusCode.OK);
    const cost1 = (176 * 2 + 1024 * 0.5 + 40 * 8) / 1e6;
    const cost2 = (148 * 2 + 1152 * 0.5 + 12 * 8) / 1e6;
    expect(runSpan.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-bot',
      'gen_ai.conversation.id': 'conv-7',
      'user.id': 'u-42',
      'warden.tenant.id': 'acme',
      'warden.run.id': result.runId,
      'warden.run.status': 'completed',
      'warden.usage.steps': 2,
      'warden.usage.tool_calls': 1,
      'warden.usage.input_tokens': 2500,
      'warden.usage.output_tokens': 52,
      'warden.usage.cached_input_tokens': 2176,
      'warden.usage.cost_usd': expect.closeTo(cost1 + cost2, 12),
      'warden.usage.duration_ms': 1500,
      'gen_ai.usage.input_tokens': 2500,
      'gen_ai.usage.output_tokens': 52,
    });
    expect(runSpan.attributes).not.toHaveProperty(['warden.stop.code']);

    // --- model spans
    for (const span of [firstCall!, secondCall!]) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).toBe(SpanStatusCode.OK);
    }
    expect(firstCall!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4.1',
      'gen_ai.conversation.id': 'conv-7',
      'gen_ai.response.model': 'gpt-4.1-2025-04-14',
      'gen_ai.response.id': 'chatcmpl-CjT4mX9bK2pQ7rL1sV8wY3zA',
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.usage.cache_read.input_tokens': 1024,
      'gen_ai.usage.cost.amount': expect.closeTo(cost1, 12),
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.usage.cost.source': 'local',
    });
    expect(secondCall!.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(secondCall!.attributes['gen_ai.usage.cost.amount']).toBeCloseTo(cost2, 12);

    // --- tool span
    expect(toolSpan.kind).toBe(SpanKind.INTERNAL);
    expectOk(toolSpan);
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search_docs',
      'gen_ai.tool.call.id': 'call_Qm3vX8a1LpT6',
      'gen_ai.tool.type': 'function',
      'warden.tool.outcome': 'ok',
      'warden.tool.effect': 'read',
    });
  });

  it('an OpenAI Responses loop without a session: no gen_ai.conversation.id anywhere', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({
      agent: { name: 'weather-bot' },
      tools: [getWeather],
      pricing: PRICING,
      telemetry: { tracer: otel.tracer },
    });
    const result = await warden.run({}, async (run) => {
      const response = await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () =>
        responsesFunctionCall(),
      );
      const outcomes = [];
      for (const item of response.output) {
        if (item.type === 'function_call') {
          outcomes.push(await run.tool(item.name, item.arguments, { callId: item.call_id }));
        }
      }
      return outcomes.map((o) => o.forModel());
    });
    expect(result.status).toBe('completed');

    const runSpan = otel.one('invoke_agent weather-bot');
    const model = otel.one('chat gpt-4.1');
    const tool = otel.one('execute_tool get_weather');
    for (const span of [runSpan, model, tool]) {
      expect(span.attributes).not.toHaveProperty(['gen_ai.conversation.id']);
      expect(span.attributes).not.toHaveProperty(['session.id']);
    }
    expect(runSpan.attributes).not.toHaveProperty(['user.id']);
    expect(runSpan.attributes).not.toHaveProperty(['warden.tenant.id']);
    expect(model.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4.1',
      'gen_ai.response.model': 'gpt-4.1-2025-04-14',
      'gen_ai.response.id': 'resp_68a1f0c2d3e4b5a6978899aabbccddee',
      'gen_ai.response.finish_reasons': ['completed'],
      'gen_ai.usage.input_tokens': 310,
      'gen_ai.usage.output_tokens': 22,
      'gen_ai.usage.cost.currency': 'USD',
    });
    expect(model.attributes['gen_ai.usage.cost.amount']).toBeCloseTo((310 * 2 + 22 * 8) / 1e6, 12);
    expect(tool.attributes).toMatchObject({
      'gen_ai.tool.call.id': 'call_Zr7pK2m9Wq1d',
      'gen_ai.tool.type': 'function',
      'warden.tool.outcome': 'ok',
      'warden.tool.effect': 'read',
    });
  });

  it('an Anthropic Messages loop: input tokens include cache reads and writes; cache reads are reported', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({
      agent: { name: 'claude-agent' },
      tools: [getWeather],
      pricing: PRICING,
      telemetry: { tracer: otel.tracer },
    });
    const result = await warden.run({ userId: 'u1', sessionId: 'thread-1' }, async (run) => {
      const message = await run.model({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, async () =>
        anthropicToolUse(),
      );
      for (const block of message.content) {
        if (block.type === 'tool_use') await run.tool(block.name, block.input, { callId: block.id });
      }
      return 'done';
    });
    expect(result.status).toBe('completed');

    const model = otel.one('chat claude-sonnet-4-5');
    expect(model.kind).toBe(SpanKind.CLIENT);
    expect(model.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.response.id': 'msg_01XFDUDYJgAACzvnptvVoYEL',
      'gen_ai.response.finish_reasons': ['tool_use'],
      'gen_ai.usage.input_tokens': 2150,
      'gen_ai.usage.output_tokens': 80,
      'gen_ai.usage.cache_read.input_tokens': 2000,
      'gen_ai.usage.cache_write.input_tokens': 100,
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.conversation.id': 'thread-1',
    });
    expect(model.attributes['gen_ai.usage.cost.amount']).toBeCloseTo(
      (50 * 3 + 2000 * 0.3 + 100 * 3.75 + 80 * 15) / 1e6,
      12,
    );
    expect(otel.one('execute_tool get_weather').attributes['gen_ai.tool.call.id']).toBe(
      'toolu_01A09q90qw90lq917835lq9',
    );
    expect(otel.one('invoke_agent claude-agent').attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 2150,
      'gen_ai.usage.output_tokens': 80,
      'warden.usage.cached_input_tokens': 2000,
    });
  });

  it('a model without a price gets no cost attributes (no cost budget set)', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ telemetry: { tracer: otel.tracer } });
    await warden.run({}, (run) =>
      run.model({ provider: 'openai', model: 'o4-mini' }, async () => chatCompletionText()),
    );
    const model = otel.one('chat o4-mini');
    expect(model.attributes['gen_ai.usage.input_tokens']).toBe(1300);
    expect(model.attributes).not.toHaveProperty(['gen_ai.usage.cost.amount']);
    expect(model.attributes).not.toHaveProperty(['gen_ai.usage.cost.currency']);
    expect(otel.one('invoke_agent agent').attributes['gen_ai.agent.name']).toBe('agent');
  });

  it('a write tool is tagged warden.tool.effect=write', async () => {
    const otel = inMemoryTracing();
    const send = defineTool({
      name: 'send_email',
      description: 'Send an email',
      input: z.object({ to: z.string() }),
      execute: async () => ({ id: 'm1' }),
    });
    const warden = createWarden({ tools: [send], telemetry: { tracer: otel.tracer } });
    await warden.run({ userId: 'u1' }, (run) =>
      run.tool('send_email', { to: 'a@example.com' }, { callId: 'c1' }),
    );
    const span = otel.one('execute_tool send_email');
    expectOk(span);
    expect(span.attributes).toMatchObject({ 'warden.tool.outcome': 'ok', 'warden.tool.effect': 'write' });
  });

  it('operation, provider, model, agent, tool name and tool type are set when the span starts (samplers see them)', async () => {
    const seen: Array<{ name: string; kind: SpanKind; attributes: Attributes }> = [];
    const sampler: Sampler = {
      shouldSample(_ctx, _traceId, name, kind, attributes) {
        seen.push({ name, kind, attributes: { ...attributes } });
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => 'RecordingSampler',
    };
    const provider = new BasicTracerProvider({
      sampler,
      spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
    });
    const warden = createWarden({
      agent: { name: 'support-bot' },
      tools: [searchDocs],
      telemetry: { tracer: provider.getTracer('t') },
    });
    await warden.run({ sessionId: 's1' }, async (run) => {
      await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () => chatCompletionToolCall());
      await run.tool('search_docs', { query: 'x' }, { callId: 'c1' });
    });
    expect(seen.map((s) => s.name)).toEqual([
      'invoke_agent support-bot',
      'chat gpt-4.1',
      'execute_tool search_docs',
    ]);
    expect(seen[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-bot',
      'gen_ai.conversation.id': 's1',
    });
    expect(seen[1]!.kind).toBe(SpanKind.CLIENT);
    expect(seen[1]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4.1',
    });
    expect(seen[2]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search_docs',
      'gen_ai.tool.call.id': 'c1',
      'gen_ai.tool.type': 'function',
    });
    await provider.shutdown();
  });
});

describe('failed tool calls: ERROR status and error.type = the outcome code', () => {
  const executed = vi.fn();
  const lookupOrder = defineTool({
    name: 'lookup_order',
    description: 'Find an order',
    input: z.object({ orderId: z.string().regex(/^ord_\w+$/) }),
    rules: [(a) => a.orderId !== 'ord_other_customer' || { path: ['orderId'], message: 'not your order' }],
    effect: 'read',
    retry: { retries: 0 },
    execute: async (a) => {
      executed(a);
      return { status: 'shipped' };
    },
  });
  const flaky = defineTool({
    name: 'flaky_api',
    description: 'Fails with a permanent error',
    input: z.object({}),
    effect: 'read',
    retry: { retries: 0 },
    execute: async () => {
      throw Object.assign(new Error('400 bad request from upstream'), { status: 400 });
    },
  });
  const slow = defineTool({
    name: 'slow_api',
    description: 'Never answers',
    input: z.object({}),
    effect: 'read',
    timeoutMs: 15,
    retry: { retries: 0 },
    execute: (_a, ctx) =>
      new Promise((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      ),
  });
  const badOutput = defineTool({
    name: 'bad_output',
    description: 'Returns the wrong shape',
    input: z.object({}),
    output: z.object({ total: z.number() }),
    effect: 'read',
    retry: { retries: 0 },
    execute: async () => ({ total: 'a lot' }) as unknown as { total: number },
  });

  const cases = [
    {
      code: 'tool_not_allowed',
      tool: 'delete_everything',
      args: '{}',
      spanName: 'execute_tool delete_everything',
    },
    {
      code: 'invalid_arguments',
      tool: 'lookup_order',
      args: '{"orderId":42}',
      spanName: 'execute_tool lookup_order',
    },
    {
      code: 'invalid_arguments',
      tool: 'lookup_order',
      args: '{not json',
      spanName: 'execute_tool lookup_order',
    },
    {
      code: 'rule_violation',
      tool: 'lookup_order',
      args: '{"orderId":"ord_other_customer"}',
      spanName: 'execute_tool lookup_order',
    },
    { code: 'tool_error', tool: 'flaky_api', args: '{}', spanName: 'execute_tool flaky_api' },
    { code: 'tool_timeout', tool: 'slow_api', args: '{}', spanName: 'execute_tool slow_api' },
    { code: 'invalid_output', tool: 'bad_output', args: '{}', spanName: 'execute_tool bad_output' },
  ];

  it.each(cases)('$code ($tool $args)', async ({ code, tool, args, spanName }) => {
    executed.mockClear();
    const otel = inMemoryTracing();
    const warden = createWarden({
      tools: [lookupOrder, flaky, slow, badOutput],
      telemetry: { tracer: otel.tracer },
    });
    const result = await warden.run({ userId: 'u1' }, async (run) => {
      const outcome = await run.tool(tool, args, { callId: 'call_1' });
      return outcome.ok ? 'ok' : outcome.error.code;
    });
    expect(result).toMatchObject({ status: 'completed', output: code });
    if (tool === 'lookup_order') expect(executed).not.toHaveBeenCalled();

    const span = otel.one(spanName);
    expectError(span, code);
    expect(span.attributes['warden.tool.outcome']).toBe(code);
    expect(span.attributes['gen_ai.tool.type']).toBe('function');
    // A tool failure is a problem the model routes around: the run itself succeeds.
    expectOk(otel.one('invoke_agent agent'));
    await warden.close();
  });

  it('an ok call after failures is OK, with the failures left ERROR', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ tools: [lookupOrder], telemetry: { tracer: otel.tracer } });
    await warden.run({}, async (run) => {
      await run.tool('lookup_order', { orderId: 'bad id' }, { callId: 'c1' });
      await run.tool('lookup_order', { orderId: 'ord_123' }, { callId: 'c2' });
    });
    const [first, second] = otel.byName('execute_tool lookup_order');
    expectError(first!, 'invalid_arguments');
    expectOk(second!);
    expect(second!.attributes['warden.tool.outcome']).toBe('ok');
  });
});

describe('stops: the run span carries the stop code; budget and kill events are on the run span', () => {
  it('budget_exceeded (steps): warning then exceeded events, ERROR with warden.stop.code', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ budgets: { run: { steps: 2 } }, telemetry: { tracer: otel.tracer } });
    const calls = vi.fn(async () => chatCompletionText());
    const result = await warden.run({}, async (run) => {
      for (;;) await run.model({ provider: 'openai', model: 'gpt-4.1' }, calls);
    });
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'steps' },
    });
    expect(calls).toHaveBeenCalledTimes(2);

    const runSpan = otel.one('invoke_agent agent');
    expectError(runSpan, 'budget_exceeded');
    expect(runSpan.attributes).toMatchObject({
      'warden.run.status': 'stopped',
      'warden.stop.code': 'budget_exceeded',
    });
    expect(eventsOf(runSpan)).toEqual([
      {
        name: 'warden.budget_warning',
        attributes: {
          'warden.budget.dimension': 'steps',
          'warden.budget.scope': 'run',
          'warden.budget.limit': 2,
          'warden.budget.used': 2,
        },
      },
      {
        name: 'warden.budget_exceeded',
        attributes: {
          'warden.budget.dimension': 'steps',
          'warden.budget.scope': 'run',
          'warden.budget.limit': 2,
          'warden.budget.used': 2,
        },
      },
    ]);
    // The refused third call never started a model span.
    expect(otel.byName('chat gpt-4.1')).toHaveLength(2);
    for (const span of otel.byName('chat gpt-4.1')) expectOk(span);
  });

  it('budget_exceeded (tool calls): the refused tool span and the run span both say why', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({
      tools: [searchDocs],
      budgets: { run: { toolCalls: 1 } },
      telemetry: { tracer: otel.tracer },
    });
    const result = await warden.run({}, async (run) => {
      await run.tool('search_docs', { query: 'a' }, { callId: 'c1' });
      await run.tool('search_docs', { query: 'b' }, { callId: 'c2' });
    });
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'toolCalls' },
    });
    const [ok, refused] = otel.byName('execute_tool search_docs');
    expectOk(ok!);
    expectError(refused!, 'budget_exceeded');
    expect(refused!.attributes['warden.tool.outcome']).toBe('budget_exceeded');
    expectError(otel.one('invoke_agent agent'), 'budget_exceeded');
  });

  it('a scoped (user) budget warning is a span event on the run span', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ budgets: { user: { tokens: 1500 } }, telemetry: { tracer: otel.tracer } });
    const result = await warden.run({ userId: 'u1' }, (run) =>
      run.model({ provider: 'openai', model: 'gpt-4.1' }, async () => chatCompletionText()),
    );
    expect(result.status).toBe('completed');
    const warning = eventsOf(otel.one('invoke_agent agent')).find((e) => e.name === 'warden.budget_warning');
    expect(warning?.attributes).toMatchObject({
      'warden.budget.dimension': 'tokens',
      'warden.budget.scope': 'user',
      'warden.budget.limit': 1500,
      'warden.budget.used': 1312,
    });
  });

  it('killed during a model call: the model span and the run span fail with killed; a kill event is recorded', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ telemetry: { tracer: otel.tracer } });
    const result = await warden.run({ userId: 'u1' }, async (run) => {
      await Promise.all([
        run.model({ provider: 'openai', model: 'gpt-4.1' }, () => new Promise<never>(() => {})),
        warden.kill({ runId: run.id }, { reason: 'operator' }),
      ]);
    });
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });
    expectError(otel.one('chat gpt-4.1'), 'killed');
    const runSpan = otel.one('invoke_agent agent');
    expectError(runSpan, 'killed');
    expect(runSpan.attributes['warden.stop.code']).toBe('killed');
    expect(eventsOf(runSpan)).toContainEqual({
      name: 'warden.killed',
      attributes: { 'warden.kill.scope': `run:${result.runId}` },
    });
  });

  it('a kill issued before the run: the run is refused and its span says killed', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ telemetry: { tracer: otel.tracer } });
    await warden.kill({ tenantId: 'acme' });
    const fn = vi.fn();
    const result = await warden.run({ tenantId: 'acme' }, fn);
    expect(fn).not.toHaveBeenCalled();
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'killed', scope: 'tenant:acme' } });
    expectError(otel.one('invoke_agent agent'), 'killed');
  });

  it('a kill through a shared store stops an in-flight run at its next check; the model is not called', async () => {
    const otel = inMemoryTracing();
    const store = memoryStore();
    const warden = createWarden({ store, telemetry: { tracer: otel.tracer } });
    const operator = createWarden({ store });
    const model = vi.fn(async () => chatCompletionText());
    const result = await warden.run({ userId: 'u1' }, async (run) => {
      await run.model({ model: 'gpt-4.1' }, model);
      await operator.kill({ userId: 'u1' }, { reason: 'abuse' });
      await run.model({ model: 'gpt-4.1' }, model);
    });
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'killed', scope: 'user:u1', reason: 'abuse' },
    });
    expect(model).toHaveBeenCalledTimes(1);
    expect(otel.byName('chat gpt-4.1')).toHaveLength(1);
    const runSpan = otel.one('invoke_agent agent');
    expectError(runSpan, 'killed');
    expect(eventsOf(runSpan)).toContainEqual({
      name: 'warden.killed',
      attributes: { 'warden.kill.scope': 'user:u1' },
    });
  });

  it('usage_unavailable: the model span and run span fail with it', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ telemetry: { tracer: otel.tracer } });
    const { usage: _dropped, ...noUsage } = chatCompletionText();
    const result = await warden.run({}, (run) =>
      run.model({ provider: 'openai', model: 'gpt-4.1' }, async () => noUsage),
    );
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'usage_unavailable' } });
    const model = otel.one('chat gpt-4.1');
    expectError(model, 'usage_unavailable');
    // What could be read is still recorded.
    expect(model.attributes['gen_ai.response.model']).toBe('gpt-4.1-2025-04-14');
    expectError(otel.one('invoke_agent agent'), 'usage_unavailable');
  });

  it('a model call that throws (rate limited) fails its span; the loop handles it and the run completes', async () => {
    class RateLimitError extends Error {
      override name = 'RateLimitError';
      status = 429;
    }
    const otel = inMemoryTracing();
    const warden = createWarden({ telemetry: { tracer: otel.tracer } });
    const result = await warden.run({}, async (run) => {
      try {
        await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () => {
          throw new RateLimitError('429 Rate limit reached for gpt-4.1');
        });
      } catch (error) {
        expect(error).toBeInstanceOf(RateLimitError);
      }
      return run.model({ provider: 'openai', model: 'gpt-4.1' }, async () => chatCompletionText());
    });
    expect(result.status).toBe('completed');
    const [failed, ok] = otel.byName('chat gpt-4.1');
    expectError(failed!, 'RateLimitError');
    expect(failed!.events.some((e) => e.name === 'exception')).toBe(true);
    expectOk(ok!);
    expectOk(otel.one('invoke_agent agent'));
  });

  it('a bug in the run function rejects warden.run and fails the run span with the error class', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ telemetry: { tracer: otel.tracer } });
    await expect(
      warden.run({}, () => {
        throw new TypeError('cannot read properties of undefined');
      }),
    ).rejects.toThrow(TypeError);
    const runSpan = otel.one('invoke_agent agent');
    expectError(runSpan, 'TypeError');
    expect(runSpan.attributes['warden.run.status']).toBe('error');
    expect(runSpan.attributes).not.toHaveProperty(['warden.stop.code']);
  });

  it('a RunStop caught by user code still ends the run as stopped', async () => {
    const otel = inMemoryTracing();
    const warden = createWarden({ budgets: { run: { steps: 0 } }, telemetry: { tracer: otel.tracer } });
    const result = await warden.run({}, async (run) => {
      try {
        await run.model({ model: 'gpt-4.1' }, async () => chatCompletionText());
      } catch (error) {
        expect(RunStop.isInstance(error)).toBe(true);
      }
      return 'swallowed';
    });
    expect(result.status).toBe('stopped');
    expectError(otel.one('invoke_agent agent'), 'budget_exceeded');
  });
});

describe('default tracer', () => {
  afterEach(() => {
    trace.disable();
  });

  it('without telemetry.tracer, spans go to the global provider under scope agent-warden@VERSION', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    const warden = createWarden({ agent: { name: 'global-bot' }, tools: [searchDocs] });
    await warden.run({}, async (run) => {
      await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () => chatCompletionText());
      await run.tool('search_docs', { query: 'x' });
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual([
      'chat gpt-4.1',
      'execute_tool search_docs',
      'invoke_agent global-bot',
    ]);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
    for (const span of spans) {
      expect(span.instrumentationScope).toMatchObject({ name: 'agent-warden', version: VERSION });
    }
    await provider.shutdown();
  });

  it('with no provider registered, runs still work and report an all-zero trace id', async () => {
    const warden = createWarden();
    const result = await warden.run({}, () => 'ok');
    expect(result).toMatchObject({ status: 'completed', output: 'ok', traceId: '0'.repeat(32) });
  });
});
