import { RunStop, WardenError } from 'agent-warden';
import { toAiSdkTools, wardenMiddleware } from 'agent-warden/ai-sdk';
import { generateText, isStepCount, wrapLanguageModel } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { expectStopped, setup } from '../../warden/helpers.js';
import { loopingModel, orderTools, SECRET, scriptedModel, textOf, toolResultsIn } from './helpers.js';

type Setup = ReturnType<typeof setup>;
let t: Setup | undefined;
afterEach(async () => {
  await t?.warden.close();
  await t?.tracing.shutdown();
  t = undefined;
});

function agent(options: Parameters<typeof setup>[0] = {}) {
  const tools = orderTools();
  t = setup({ tools: [tools.lookupOrder, tools.refundOrder], approvals: { secret: SECRET }, ...options });
  return { ...tools, t, aiTools: toAiSdkTools(t.warden) };
}

describe('toAiSdkTools with generateText', () => {
  it('runs tools through the pipeline: execute called, execute_tool span under the run span', async () => {
    const { t, aiTools, lookupExecute } = agent();
    const mock = scriptedModel([
      { toolCalls: [{ id: 'c1', name: 'lookup_order', input: { orderId: 'ord_1' } }], usage: [100, 20] },
      { text: 'It was delivered.', usage: [150, 10] },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({ userId: 'u1' }, async (run) => {
      const r = await generateText({
        model,
        tools: aiTools,
        stopWhen: isStepCount(5),
        abortSignal: run.signal,
        prompt: 'Where is ord_1?',
      });
      return r.text;
    });

    expect(result).toMatchObject({ status: 'completed', output: 'It was delivered.' });
    expect(lookupExecute).toHaveBeenCalledTimes(1);
    expect(lookupExecute.mock.calls[0]![0]).toEqual({ orderId: 'ord_1' });
    expect(result.usage).toMatchObject({ steps: 2, toolCalls: 1, inputTokens: 250, outputTokens: 30 });

    const runSpan = t.span('invoke_agent agent');
    const toolSpan = t.span('execute_tool lookup_order');
    expect(t.tracing.parentOf(toolSpan)).toBe(runSpan.spanContext().spanId);
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.tool.call.id': 'c1',
      'warden.tool.outcome': 'ok',
      'gen_ai.tool.type': 'function',
    });
    const modelSpans = t.tracing.byName('chat mock-model-id');
    expect(modelSpans).toHaveLength(2);
    for (const span of modelSpans) expect(t.tracing.parentOf(span)).toBe(runSpan.spanContext().spanId);

    // The model saw the tool's value as the tool result.
    expect(toolResultsIn(mock.doGenerateCalls[1])).toEqual([
      {
        toolName: 'lookup_order',
        output: { type: 'json', value: { orderId: 'ord_1', status: 'delivered' } },
      },
    ]);
  });

  it("a tool outside the run's `tools` narrowing never executes; the model gets the forModel() text", async () => {
    const { t, aiTools, refundExecute } = agent();
    const mock = scriptedModel([
      { toolCalls: [{ name: 'refund_order', input: { orderId: 'ord_1', amount: 5 } }] },
      { text: 'I cannot refund that.' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({ tools: ['lookup_order'] }, async (run) =>
      generateText({ model, tools: aiTools, stopWhen: isStepCount(5), abortSignal: run.signal, prompt: 'x' }),
    );

    expect(result.status).toBe('completed');
    expect(refundExecute).not.toHaveBeenCalled();
    const [toolResult] = toolResultsIn(mock.doGenerateCalls[1]);
    expect(toolResult?.toolName).toBe('refund_order');
    expect(JSON.parse(textOf(toolResult?.output))).toMatchObject({
      error: { code: 'tool_not_allowed', retryable: false },
    });
    expect(t.span('execute_tool refund_order').attributes['warden.tool.outcome']).toBe('tool_not_allowed');
    expect(t.events('tool_call')).toEqual([expect.objectContaining({ tool: 'refund_order' })]);
  });

  it('a tool the warden does not have is not in the tool set: nothing runs, the AI SDK answers the model', async () => {
    const { t, aiTools, lookupExecute, refundExecute } = agent();
    expect(Object.keys(aiTools).sort()).toEqual(['lookup_order', 'refund_order']);
    const mock = scriptedModel([
      { toolCalls: [{ name: 'drop_tables', input: {} }] },
      { text: 'I cannot do that.' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({}, async (run) =>
      generateText({ model, tools: aiTools, stopWhen: isStepCount(5), abortSignal: run.signal, prompt: 'x' }),
    );

    expect(result.status).toBe('completed');
    expect(lookupExecute).not.toHaveBeenCalled();
    expect(refundExecute).not.toHaveBeenCalled();
    expect(result.usage.toolCalls).toBe(0);
    const [toolResult] = toolResultsIn(mock.doGenerateCalls[1]);
    expect(toolResult?.output).toMatchObject({ type: 'error-text' });
    expect(textOf(toolResult?.output)).toContain("unavailable tool 'drop_tables'");
  });

  it('invalid arguments reach the model as a tool result (invalid_arguments, with the path)', async () => {
    const { t, aiTools, lookupExecute } = agent();
    const mock = scriptedModel([
      { toolCalls: [{ name: 'lookup_order', input: { orderId: 42 } }] },
      { toolCalls: [{ name: 'lookup_order', input: { orderId: 'ord_7' } }] },
      { text: 'Found it.' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({}, async (run) =>
      generateText({ model, tools: aiTools, stopWhen: isStepCount(5), abortSignal: run.signal, prompt: 'x' }),
    );

    expect(result.status).toBe('completed');
    // The bad call never executed; the fixed one did.
    expect(lookupExecute).toHaveBeenCalledTimes(1);
    expect(lookupExecute.mock.calls[0]![0]).toEqual({ orderId: 'ord_7' });
    const [first] = toolResultsIn(mock.doGenerateCalls[1]);
    const text = textOf(first?.output);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_arguments' } });
    expect(text).toContain('orderId');
    const spans = t.tracing.byName('execute_tool lookup_order');
    expect(spans.map((s) => s.attributes['warden.tool.outcome'])).toEqual(['invalid_arguments', 'ok']);
  });

  it('an approval-gated tool is not executed; the model is told, the run lists the pending approval', async () => {
    const { t, aiTools, refundExecute } = agent();
    const mock = scriptedModel([
      { toolCalls: [{ name: 'refund_order', input: { orderId: 'ord_1', amount: 500 } }] },
      { text: 'A human must approve this refund.' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({ userId: 'u1' }, async (run) =>
      generateText({ model, tools: aiTools, stopWhen: isStepCount(5), abortSignal: run.signal, prompt: 'x' }),
    );

    expect(result.status).toBe('completed');
    expect(refundExecute).not.toHaveBeenCalled();
    expect(result.pending).toEqual([
      expect.objectContaining({
        tool: 'refund_order',
        args: { orderId: 'ord_1', amount: 500 },
        level: 'confirm',
      }),
    ]);
    const [toolResult] = toolResultsIn(mock.doGenerateCalls[1]);
    expect(JSON.parse(textOf(toolResult?.output))).toMatchObject({ error: { code: 'approval_required' } });
    expect(textOf(toolResult?.output)).not.toContain('v1.'); // no token ever reaches the model
    expect(t.span('execute_tool refund_order').attributes['warden.tool.outcome']).toBe('approval_required');
  });

  it('an approved call runs in a later run that carries the token', async () => {
    const { t, aiTools, refundExecute } = agent();
    const call = { toolCalls: [{ name: 'refund_order', input: { orderId: 'ord_1', amount: 500 } }] };
    const first = wrapLanguageModel({
      model: scriptedModel([call, { text: 'Awaiting approval.' }]),
      middleware: wardenMiddleware(),
    });
    const asked = await t.warden.run({ userId: 'u1' }, (run) =>
      generateText({
        model: first,
        tools: aiTools,
        stopWhen: isStepCount(5),
        abortSignal: run.signal,
        prompt: 'x',
      }),
    );
    const approved = await t.warden.approve(asked.pending[0]!.id, { approver: 'manager' });
    if (approved.status !== 'approved') throw new Error('expected a token');

    const second = wrapLanguageModel({
      model: scriptedModel([call, { text: 'Refunded.' }]),
      middleware: wardenMiddleware(),
    });
    const result = await t.warden.run({ userId: 'u1', approvals: [approved.token] }, (run) =>
      generateText({
        model: second,
        tools: aiTools,
        stopWhen: isStepCount(5),
        abortSignal: run.signal,
        prompt: 'x',
      }),
    );
    expect(result.status).toBe('completed');
    expect(refundExecute).toHaveBeenCalledTimes(1);
    expect(refundExecute.mock.calls[0]![0]).toEqual({ orderId: 'ord_1', amount: 500 });
  });

  it("approvals in 'interrupt' mode stop the loop: no further model call", async () => {
    const { t, aiTools, refundExecute } = agent({ approvals: { secret: SECRET, mode: 'interrupt' } });
    const mock = scriptedModel([
      { toolCalls: [{ name: 'refund_order', input: { orderId: 'ord_1', amount: 500 } }] },
      { text: 'never reached' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    const result = await t.warden.run({ userId: 'u1' }, async (run) =>
      generateText({ model, tools: aiTools, stopWhen: isStepCount(5), abortSignal: run.signal, prompt: 'x' }),
    );

    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'approval_required', tool: 'refund_order' },
    });
    expect(result.pending).toHaveLength(1);
    expect(refundExecute).not.toHaveBeenCalled();
    expect(mock.doGenerateCalls).toHaveLength(1);
  });

  it('a tool-call budget stop halts the loop (abortSignal: run.signal) and the run is stopped', async () => {
    const { t, aiTools, lookupExecute } = agent({ budgets: { run: { toolCalls: 2 } } });
    const mock = loopingModel('lookup_order', { orderId: 'ord_1' });
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    let rejection: unknown;

    const result = await t.warden.run({}, async (run) => {
      try {
        await generateText({
          model,
          tools: aiTools,
          stopWhen: isStepCount(20),
          abortSignal: run.signal,
          prompt: 'x',
        });
      } catch (error) {
        rejection = error;
        throw error;
      }
    });

    expectStopped(t, result, {
      code: 'budget_exceeded',
      dimension: 'toolCalls',
      scope: 'run',
      limit: 2,
      used: 2,
    });
    expect(RunStop.isInstance(rejection)).toBe(true);
    expect(lookupExecute).toHaveBeenCalledTimes(2);
    // The third model call asked for the third tool call, which was refused; no fourth model call.
    expect(mock.doGenerateCalls).toHaveLength(3);
  });

  it('without abortSignal the middleware still halts the loop at the next model call', async () => {
    const { t, aiTools, lookupExecute } = agent({ budgets: { run: { toolCalls: 1 } } });
    const mock = loopingModel('lookup_order', { orderId: 'ord_1' });
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    let rejection: unknown;
    const result = await t.warden.run({}, () =>
      generateText({ model, tools: aiTools, stopWhen: isStepCount(20), prompt: 'x' }).catch(
        (error: unknown) => {
          rejection = error;
          throw error;
        },
      ),
    );

    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'toolCalls' },
    });
    expect(RunStop.isInstance(rejection)).toBe(true);
    expect(lookupExecute).toHaveBeenCalledTimes(1);
    expect(mock.doGenerateCalls).toHaveLength(2);
  });

  it('the run is stopped even when the stop was swallowed and generateText resolved', async () => {
    const { t, aiTools } = agent({ budgets: { run: { toolCalls: 0 } } });
    const mock = loopingModel('lookup_order', { orderId: 'ord_1' });
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });

    // One step: the AI SDK turns the thrown RunStop into a tool-error and generateText resolves.
    const result = await t.warden.run({}, async () => {
      const r = await generateText({ model, tools: aiTools, stopWhen: isStepCount(1), prompt: 'x' });
      return r.toolResults.length;
    });

    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'toolCalls' },
    });
  });

  it('calling a wrapped tool outside a run throws and never executes', async () => {
    const { aiTools, lookupExecute } = agent();
    await expect(
      aiTools.lookup_order!.execute(
        { orderId: 'ord_1' },
        { toolCallId: 'c1', messages: [], context: undefined },
      ),
    ).rejects.toSatisfy((e) => WardenError.isInstance(e) && e.code === 'no_current_run');
    expect(lookupExecute).not.toHaveBeenCalled();
  });

  it('passes the AI SDK call id to the pipeline', async () => {
    const { t, aiTools } = agent();
    const outcome = await t.warden.run({}, () =>
      aiTools.lookup_order!.execute(
        { orderId: 'ord_9' },
        { toolCallId: 'call_abc', messages: [], context: undefined },
      ),
    );
    expect(outcome).toMatchObject({ status: 'completed', output: { orderId: 'ord_9', status: 'delivered' } });
    expect(t.span('execute_tool lookup_order').attributes['gen_ai.tool.call.id']).toBe('call_abc');
  });
});
