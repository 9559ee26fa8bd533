import { SpanStatusCode } from '@opentelemetry/api';
import { createWarden, defineTool, type Run } from 'agent-warden';
import { toChatCompletionsTools } from 'agent-warden/openai';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeOpenAIServer, startFakeOpenAI } from '../../../examples/_fake-openai-server.js';
import { chatLoop, client, errorCode, MODEL, setup } from './helpers.js';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await server.close();
});

/** The `role: 'tool'` messages of the n-th request (0-based) the fake server received. */
function toolMessagesOf(n: number): Array<{ role: string; tool_call_id: string; content: string }> {
  return server.requests[n]!.body.messages.filter((m: { role: string }) => m.role === 'tool');
}

describe('Chat Completions loop on the real openai client', () => {
  it('runs an allowed tool through the guards, under the run span, and feeds its result back', async () => {
    const t = setup();
    server.use({
      chat: [
        {
          toolCalls: [{ name: 'get_weather', args: { city: 'Paris' } }],
          usage: { inputTokens: 300, outputTokens: 20 },
        },
        { text: 'It is 18°C in Paris.', usage: { inputTokens: 400, outputTokens: 10 } },
      ],
    });
    const tools = toChatCompletionsTools(t.warden);
    const result = await t.warden.run({ userId: 'u1' }, (run) =>
      chatLoop(run, client(server.baseURL), tools),
    );

    expect(result).toMatchObject({ status: 'completed', output: 'It is 18°C in Paris.' });
    expect(result.usage).toMatchObject({ steps: 2, toolCalls: 1, inputTokens: 700, outputTokens: 30 });
    expect(result.usage.costUsd).toBeCloseTo((700 * 2 + 30 * 8) / 1e6, 12);
    expect(t.execute.weather).toHaveBeenCalledTimes(1);
    const [args, ctx] = t.execute.weather.mock.calls[0] as unknown as [unknown, { callId: string }];
    expect(args).toEqual({ city: 'Paris' });
    expect(ctx.callId).toBe('call_1_0');

    // The model was offered the warden's tools and got the tool's result as a tool message.
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.body.tools).toEqual(tools);
    expect(toolMessagesOf(1)).toEqual([
      { role: 'tool', tool_call_id: 'call_1_0', content: '{"city":"Paris","tempC":18}' },
    ]);

    // Spans: the model calls and the tool call nest under the run span.
    const runSpan = t.tracing.one('invoke_agent openai-test');
    const toolSpan = t.tracing.one('execute_tool get_weather');
    const modelSpans = t.tracing.byName(`chat ${MODEL}`);
    expect(modelSpans).toHaveLength(2);
    const runSpanId = runSpan.spanContext().spanId;
    expect(t.tracing.parentOf(toolSpan)).toBe(runSpanId);
    for (const span of modelSpans) expect(t.tracing.parentOf(span)).toBe(runSpanId);
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.call.id': 'call_1_0',
      'warden.tool.outcome': 'ok',
    });
    expect(modelSpans[0]!.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': `${MODEL}-2026-01-01`,
      'gen_ai.usage.input_tokens': 300,
      'gen_ai.usage.output_tokens': 20,
      'gen_ai.response.finish_reasons': ['tool_calls'],
    });
    await t.warden.close();
  });

  it('refuses unknown, narrowed-out and invalid calls without executing them; the model reads why', async () => {
    const t = setup();
    server.use({
      chat: [
        {
          toolCalls: [
            { name: 'delete_account', args: { userId: 'u1' } }, // not registered
            { name: 'refund_order', args: { orderId: 'o1' } }, // registered, outside this run's tools
            { name: 'get_weather', args: { city: '' } }, // fails the schema
            { name: 'get_weather', args: 'not json' }, // not JSON at all
          ],
        },
        { text: 'Sorry, I cannot do that.' },
      ],
    });
    const result = await t.warden.run({ userId: 'u1', tools: ['get_weather'] }, (run) =>
      chatLoop(run, client(server.baseURL), toChatCompletionsTools(t.warden, { tools: ['get_weather'] })),
    );

    expect(result).toMatchObject({ status: 'completed', output: 'Sorry, I cannot do that.' });
    expect(t.execute.refund).not.toHaveBeenCalled();
    expect(t.execute.weather).not.toHaveBeenCalled();
    const messages = toolMessagesOf(1);
    expect(messages.map((m) => m.tool_call_id)).toEqual(['call_1_0', 'call_1_1', 'call_1_2', 'call_1_3']);
    expect(messages.map((m) => errorCode(m.content))).toEqual([
      'tool_not_allowed',
      'tool_not_allowed',
      'invalid_arguments',
      'invalid_arguments',
    ]);
    // Each content is the outcome's forModel() text: compact JSON with a message for the model.
    const invalid = JSON.parse(messages[2]!.content);
    expect(invalid).toEqual({
      error: { code: 'invalid_arguments', message: expect.any(String), retryable: false },
    });
    expect(invalid.error.message).toContain('city: name a city');
    expect(JSON.parse(messages[3]!.content).error.message).toContain('not valid JSON');
    expect(t.tracing.one('execute_tool refund_order').status.code).toBe(SpanStatusCode.ERROR);
    await t.warden.close();
  });

  it('runs the calls of one message concurrently and returns the results in call order', async () => {
    let releaseSlow!: () => void;
    const fastDone = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const finished: string[] = [];
    const lookup = defineTool({
      name: 'lookup',
      description: 'Look something up',
      input: z.object({ key: z.string() }),
      effect: 'read',
      execute: async ({ key }) => {
        if (key === 'slow') {
          // Completes only once the fast call finished: sequential execution would time out here.
          await Promise.race([
            fastDone,
            new Promise((_, reject) => setTimeout(reject, 2_000, new Error('serial'))),
          ]);
        }
        finished.push(key);
        if (key === 'fast') releaseSlow();
        return { key };
      },
    });
    const w = createWarden({ tools: [lookup] });
    server.use({
      chat: [
        {
          toolCalls: [
            { name: 'lookup', args: { key: 'slow' } },
            { name: 'lookup', args: { key: 'fast' } },
          ],
        },
        { text: 'done' },
      ],
    });
    const result = await w.run({}, (run) => chatLoop(run, client(server.baseURL), toChatCompletionsTools(w)));
    expect(result.status).toBe('completed');
    expect(finished).toEqual(['fast', 'slow']);
    expect(toolMessagesOf(1).map((m) => [m.tool_call_id, m.content])).toEqual([
      ['call_1_0', '{"key":"slow"}'],
      ['call_1_1', '{"key":"fast"}'],
    ]);
    await w.close();
  });

  it('does not execute an approval-gated tool; the model is told to ask a human', async () => {
    const t = setup();
    server.use({
      chat: [
        { toolCalls: [{ name: 'send_email', args: { to: 'a@example.com', body: 'hi' } }] },
        { text: 'I need your approval to send that email.' },
      ],
    });
    const result = await t.warden.run({ userId: 'u1' }, (run) =>
      chatLoop(run, client(server.baseURL), toChatCompletionsTools(t.warden)),
    );
    expect(result.status).toBe('completed');
    expect(t.execute.email).not.toHaveBeenCalled();
    expect(errorCode(toolMessagesOf(1)[0]!.content)).toBe('approval_required');
    expect(result.pending).toEqual([
      expect.objectContaining({ tool: 'send_email', args: { to: 'a@example.com', body: 'hi' } }),
    ]);
    await t.warden.close();
  });
});

describe('streaming through run.model (the pattern docs/adapters/openai.md shows)', () => {
  it('budgets the streamed call before it starts and counts the usage of its last chunk', async () => {
    const t = setup();
    server.use({ chat: [{ text: 'Hello there', usage: { inputTokens: 120, outputTokens: 7 } }] });
    const openai = client(server.baseURL);
    const stream = (run: Run) =>
      run.model({ provider: 'openai', model: MODEL }, async (signal) => {
        const chunks = await openai.chat.completions.create(
          {
            model: MODEL,
            messages: [{ role: 'user', content: 'hi' }],
            stream: true,
            stream_options: { include_usage: true },
          },
          { signal },
        );
        let text = '';
        let usage: OpenAI.CompletionUsage | null | undefined;
        for await (const chunk of chunks) {
          text += chunk.choices[0]?.delta?.content ?? '';
          usage = chunk.usage ?? usage;
        }
        return { text, usage };
      });
    let streamed = '';
    const result = await t.warden.run({ budgets: { steps: 1 } }, async (run) => {
      streamed = (await stream(run)).text;
      await stream(run); // over the step budget: refused before the request
    });
    expect(streamed).toBe('Hello there');
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'steps' },
    });
    expect(result.usage).toMatchObject({ steps: 1, inputTokens: 120, outputTokens: 7 });
    expect(server.requests).toHaveLength(1);
    expect(t.tracing.one(`chat ${MODEL}`).attributes['gen_ai.usage.output_tokens']).toBe(7);
    await t.warden.close();
  });
});
