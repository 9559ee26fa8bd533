import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { createWarden, defineTool } from 'agent-warden';
import { recordSpans } from 'agent-warden/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

const recorders: Array<ReturnType<typeof recordSpans>> = [];
function recorder() {
  const r = recordSpans();
  recorders.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.shutdown()));
});

/** An OpenAI Chat Completions response, as a client library returns it. */
function completion(
  promptTokens: number,
  completionTokens: number,
  toolCall?: { name: string; args: string },
) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-4.1-2025-04-14',
    choices: [
      {
        index: 0,
        message: toolCall
          ? {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: toolCall.name, arguments: toolCall.args },
                },
              ],
            }
          : { role: 'assistant', content: 'done' },
        finish_reason: toolCall ? 'tool_calls' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

const getOrder = defineTool({
  name: 'get_order',
  description: 'Find an order',
  input: z.object({ orderId: z.string() }),
  effect: 'read',
  execute: ({ orderId }) => ({ orderId, status: 'shipped' }),
});

describe('recordSpans', () => {
  it('records the spans of a run as a tree with the attributes a person reads first', async () => {
    const spans = recorder();
    const warden = createWarden({
      agent: { name: 'support-bot' },
      tools: [getOrder],
      pricing: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } },
      budgets: { run: { costUsd: 1 } },
      telemetry: { tracer: spans.tracer },
    });
    const model = { provider: 'openai', model: 'gpt-4.1' };
    const result = await warden.run({ userId: 'u1' }, async (run) => {
      await run.model(model, async () => completion(900, 40, { name: 'get_order', args: '{"orderId":7}' }));
      await run.tool('get_order', '{"orderId":7}', { callId: 'call_1' });
      await run.tool('get_order', '{"orderId":"o7"}', { callId: 'call_2' });
      await run.model(model, async () => completion(1200, 30));
      return 'done';
    });
    await warden.close();
    expect(result.status).toBe('completed');

    expect(spans.spans()).toHaveLength(5);
    expect(spans.tree()).toBe(
      [
        'invoke_agent support-bot   OK     run=completed steps=2 tools=2 tokens=2100/70 cost=$0.0048',
        '├─ chat gpt-4.1            OK     tokens=900/40 cost=$0.0021 finish=tool_calls',
        '├─ execute_tool get_order  ERROR  outcome=invalid_arguments',
        '├─ execute_tool get_order  OK     outcome=ok',
        '└─ chat gpt-4.1            OK     tokens=1200/30 cost=$0.0026 finish=stop',
      ].join('\n'),
    );
  });

  it('shows a stop code, span events and an error.type that no other attribute already says', async () => {
    const spans = recorder();
    const warden = createWarden({ budgets: { run: { steps: 1 } }, telemetry: { tracer: spans.tracer } });
    const result = await warden.run({}, async (run) => {
      await run.model({ model: 'm' }, async () => completion(10, 5));
      await run.model({ model: 'm' }, async () => completion(10, 5));
    });
    const noUsage = await warden.run({}, (run) => run.model({ model: 'm' }, async () => ({ text: 'hi' })));
    await warden.close();
    expect(result.status === 'stopped' && result.stop.code).toBe('budget_exceeded');
    expect(noUsage.status === 'stopped' && noUsage.stop.code).toBe('usage_unavailable');
    expect(spans.tree()).toBe(
      [
        'invoke_agent agent  ERROR  run=stopped stop=budget_exceeded steps=1 tools=0 tokens=10/5 events=budget_warning(steps),budget_exceeded(steps)',
        '└─ chat m           OK     tokens=10/5 finish=stop',
        'invoke_agent agent  ERROR  run=stopped stop=usage_unavailable steps=1 tools=0 tokens=0/0 events=budget_warning(steps)',
        '└─ chat m           ERROR  error.type=usage_unavailable',
      ].join('\n'),
    );
    expect(spans.tree({ events: false })).not.toContain('events=');
  });

  it('nests children under parents at any depth and orders siblings by start time', () => {
    const spans = recorder();
    const { tracer } = spans;
    const root = tracer.startSpan('root', { startTime: [100, 0] });
    const inRoot = trace.setSpan(ROOT_CONTEXT, root);
    // Started in reverse order of their start times, ended in yet another order.
    const late = tracer.startSpan('late child', { startTime: [103, 0] }, inRoot);
    const early = tracer.startSpan('early child', { startTime: [101, 0] }, inRoot);
    const grandchild = tracer.startSpan('grandchild', { startTime: [102, 0] }, trace.setSpan(inRoot, early));
    const deep = tracer.startSpan('deep', { startTime: [102, 5] }, trace.setSpan(inRoot, grandchild));
    deep.setStatus({ code: SpanStatusCode.ERROR });
    for (const span of [deep, late, grandchild, early, root]) span.end([110, 0]);
    const other = tracer.startSpan('other root', { startTime: [200, 0] });
    other.setAttribute('note', 'two words');
    other.end([201, 0]);

    expect(spans.tree()).toBe(
      [
        'root',
        '├─ early child',
        '│  └─ grandchild',
        '│     └─ deep     ERROR',
        '└─ late child',
        'other root',
      ].join('\n'),
    );
    expect(spans.tree({ allAttributes: true }).split('\n').at(-1)).toBe(
      // name column, empty status column, attributes
      `${'other root'.padEnd('│  └─ grandchild'.length)}  ${''.padEnd('ERROR'.length)}  note="two words"`,
    );
  });

  it('treats a span whose parent was not recorded as a root', () => {
    const spans = recorder();
    const outside = recordSpans();
    recorders.push(outside);
    const foreign = outside.tracer.startSpan('foreign parent');
    const child = spans.tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, foreign));
    child.end();
    foreign.end();
    expect(spans.tree()).toBe('child');
  });

  it('adds ids and durations only when asked', () => {
    const spans = recorder();
    const span = spans.tracer.startSpan('timed', { startTime: [10, 0] });
    span.end([10, 2_500_000]);
    const id = span.spanContext().spanId;
    expect(spans.tree()).toBe('timed');
    expect(spans.tree({ durations: true, ids: true })).toBe(`timed  duration=2.5ms span=${id}`);
  });

  it('forgets recorded spans on reset, keeps them readable after shutdown and records nothing more', async () => {
    const spans = recorder();
    spans.tracer.startSpan('first').end();
    expect(spans.spans().map((s) => s.name)).toEqual(['first']);
    spans.reset();
    expect(spans.spans()).toEqual([]);
    expect(spans.tree()).toBe('');
    spans.tracer.startSpan('second').end();
    expect(spans.tree()).toBe('second');
    await spans.shutdown();
    spans.tracer.startSpan('third').end();
    expect(spans.spans().map((s) => s.name)).toEqual(['second']);
  });
});
