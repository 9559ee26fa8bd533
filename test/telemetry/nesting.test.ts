import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createWarden, defineTool } from 'agent-warden';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { inMemoryTracing } from '../support/otel.js';
import { chatCompletionText, chatCompletionToolCall, searchDocs } from './fixtures.js';

function useContextManager(): void {
  expect(context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())).toBe(true);
}

function expectChildOf(child: ReadableSpan, parent: ReadableSpan): void {
  expect(child.parentSpanContext?.spanId, `${child.name} parent`).toBe(parent.spanContext().spanId);
  expect(child.spanContext().traceId, `${child.name} trace`).toBe(parent.spanContext().traceId);
}

afterEach(() => {
  context.disable();
});

async function agentLoop(otel: ReturnType<typeof inMemoryTracing>, runOptions = {}) {
  const warden = createWarden({
    agent: { name: 'support-bot' },
    tools: [searchDocs],
    telemetry: { tracer: otel.tracer },
  });
  return warden.run(runOptions, async (run) => {
    const first = await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () =>
      chatCompletionToolCall(),
    );
    for (const call of first.choices[0]!.message.tool_calls ?? []) {
      await run.tool(call.function.name, call.function.arguments, { callId: call.id });
    }
    const final = await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () => chatCompletionText());
    return final.choices[0]!.message.content;
  });
}

describe('without a global context manager', () => {
  it('model and tool spans are children of the run span, in its trace; RunResult.traceId is that trace', async () => {
    const otel = inMemoryTracing();
    const result = await agentLoop(otel);
    const runSpan = otel.one('invoke_agent support-bot');
    const models = otel.byName('chat gpt-4.1');
    const tool = otel.one('execute_tool search_docs');

    expect(runSpan.parentSpanContext).toBeUndefined();
    expect(models).toHaveLength(2);
    for (const span of [...models, tool]) expectChildOf(span, runSpan);
    expect(result.traceId).toBe(runSpan.spanContext().traceId);
    expect(result.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.traceId).not.toBe('0'.repeat(32));
  });

  it('two runs get two separate traces', async () => {
    const otel = inMemoryTracing();
    const a = await agentLoop(otel);
    const b = await agentLoop(otel);
    expect(a.traceId).not.toBe(b.traceId);
    const roots = otel.byName('invoke_agent support-bot');
    expect(roots.map((s) => s.parentSpanContext)).toEqual([undefined, undefined]);
    for (const span of otel.spans()) expect([a.traceId, b.traceId]).toContain(span.spanContext().traceId);
  });

  it('concurrent runs keep their children apart', async () => {
    const otel = inMemoryTracing();
    const [a, b] = await Promise.all([agentLoop(otel, { userId: 'a' }), agentLoop(otel, { userId: 'b' })]);
    for (const result of [a, b]) {
      const runSpan = otel
        .byName('invoke_agent support-bot')
        .find((s) => s.attributes['warden.run.id'] === result.runId)!;
      const children = otel
        .spans()
        .filter((s) => s.parentSpanContext?.spanId === runSpan.spanContext().spanId);
      expect(children.map((s) => s.name).sort()).toEqual([
        'chat gpt-4.1',
        'chat gpt-4.1',
        'execute_tool search_docs',
      ]);
      for (const child of children) expect(child.spanContext().traceId).toBe(result.traceId);
    }
  });
  it('a caller span is invisible without a context manager: the run span is a root', async () => {
    // context.with is a no-op without a context manager (OpenTelemetry's behaviour,
    // not the library's): linking to the caller's span needs one.
    const otel = inMemoryTracing();
    const parent = otel.tracer.startSpan('POST /chat');
    await context.with(trace.setSpan(context.active(), parent), () => agentLoop(otel));
    parent.end();
    expect(otel.one('invoke_agent support-bot').parentSpanContext).toBeUndefined();
  });
});

describe('with an AsyncLocalStorage context manager', () => {
  it('the run span nests under the span active when warden.run() is called', async () => {
    useContextManager();
    const otel = inMemoryTracing();
    const parent = otel.tracer.startSpan('POST /chat', { kind: SpanKind.SERVER });
    const result = await context.with(trace.setSpan(context.active(), parent), () => agentLoop(otel));
    parent.end();

    const http = otel.one('POST /chat');
    const runSpan = otel.one('invoke_agent support-bot');
    expectChildOf(runSpan, http);
    expect(result.traceId).toBe(http.spanContext().traceId);
    for (const span of [...otel.byName('chat gpt-4.1'), otel.one('execute_tool search_docs')]) {
      expectChildOf(span, runSpan);
    }
  });

  it('a span started by user code inside the model call nests under the model span', async () => {
    useContextManager();
    const otel = inMemoryTracing();
    const warden = createWarden({ agent: { name: 'support-bot' }, telemetry: { tracer: otel.tracer } });
    await warden.run({}, (run) =>
      run.model({ provider: 'openai', model: 'gpt-4.1' }, async () =>
        // What an HTTP client's instrumentation does around the request.
        otel.tracer.startActiveSpan('POST', { kind: SpanKind.CLIENT }, async (http) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          http.end();
          return chatCompletionText();
        }),
      ),
    );
    const model = otel.one('chat gpt-4.1');
    expectChildOf(otel.one('POST'), model);
    expectChildOf(model, otel.one('invoke_agent support-bot'));
  });

  it('a span started inside a tool execute nests under the tool span; one started in the run function under the run span', async () => {
    useContextManager();
    const otel = inMemoryTracing();
    const warden = createWarden({
      agent: { name: 'support-bot' },
      tools: [
        defineTool({
          name: 'search_docs',
          description: 'Search the help centre',
          input: z.object({ query: z.string() }),
          effect: 'read',
          execute: async ({ query }) => {
            otel.tracer.startSpan('SELECT docs').end();
            return { hits: [query] };
          },
        }),
      ],
      telemetry: { tracer: otel.tracer },
    });
    await warden.run({}, async (run) => {
      otel.tracer.startSpan('prepare prompt').end();
      await run.tool('search_docs', { query: 'refund' }, { callId: 'c1' });
    });
    const runSpan = otel.one('invoke_agent support-bot');
    const tool = otel.one('execute_tool search_docs');
    expectChildOf(otel.one('SELECT docs'), tool);
    expectChildOf(otel.one('prepare prompt'), runSpan);
    expectChildOf(tool, runSpan);
  });

  it('after the run, the caller context is restored', async () => {
    useContextManager();
    const otel = inMemoryTracing();
    const parent = otel.tracer.startSpan('job');
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await agentLoop(otel);
      expect(trace.getActiveSpan()).toBe(parent);
    });
    parent.end();
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
