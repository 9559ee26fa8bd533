import type { BaseMessage } from '@langchain/core/messages';
import { ToolMessage } from '@langchain/core/messages';
import { createWarden, defineTool, type ToolContext, WardenError } from 'agent-warden';
import { toLangChainTools, WardenLangChainTool, wardenRunConfig } from 'agent-warden/langchain';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { setup } from '../../warden/helpers.js';
import { ask, fakeChatModel, reactGraph, toolMessages } from './fixtures.js';

const SECRET = 'x'.repeat(32);

function tools() {
  const searchExecute = vi.fn(async (a: { q: string }, _ctx: ToolContext) => ({
    hits: [`doc about ${a.q}`],
  }));
  const search = defineTool({
    name: 'search_docs',
    description: 'Search the docs',
    input: z.object({ q: z.string().min(2) }),
    effect: 'read',
    execute: searchExecute,
  });
  const refundExecute = vi.fn(async (a: { orderId: string; amount: number }) => `refunded ${a.amount}`);
  const refund = defineTool({
    name: 'refund',
    description: 'Refund an order',
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    rules: [(a) => a.amount <= 100 || { path: ['amount'], message: 'refunds over 100 need a manager' }],
    approval: (a) => (a.amount > 50 ? 'confirm' : 'none'),
    execute: refundExecute,
  });
  return { search, searchExecute, refund, refundExecute };
}

/** The final messages of a graph run (the run's output). */
function output(result: { status: string }): BaseMessage[] {
  expect(result.status).toBe('completed');
  return (result as unknown as { output: { messages: BaseMessage[] } }).output.messages;
}

describe('toLangChainTools', () => {
  it('keeps name, description and schema, and returns LangChain structured tools', () => {
    const { search, refund } = tools();
    const lc = toLangChainTools(createWarden({ tools: [search, refund], approvals: { secret: SECRET } }));
    expect(lc.map((t) => [t.name, t.description])).toEqual([
      ['search_docs', 'Search the docs'],
      ['refund', 'Refund an order'],
    ]);
    expect(lc[0]).toBeInstanceOf(WardenLangChainTool);
    expect(lc[0]!.schema).toBe(search.input);
  });

  it('runs tools guarded inside a LangGraph ToolNode: execute called, execute_tool span under the run span', async () => {
    const { search, searchExecute } = tools();
    const t = setup({ tools: [search] });
    const model = fakeChatModel([
      { toolCalls: [{ name: 'search_docs', args: { q: 'refunds' }, id: 'call_1' }] },
      { text: 'Refunds take 5 days.' },
    ]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({ userId: 'u1' }, (run) =>
      graph.invoke(ask('refunds?'), wardenRunConfig(run)),
    );

    const messages = output(result);
    expect(searchExecute).toHaveBeenCalledTimes(1);
    expect(searchExecute.mock.calls[0]![0]).toEqual({ q: 'refunds' });
    expect(searchExecute.mock.calls[0]![1]).toMatchObject({ callId: 'call_1', userId: 'u1' });
    expect(toolMessages(messages)).toEqual([
      { name: 'search_docs', status: 'success', content: '{"hits":["doc about refunds"]}' },
    ]);
    expect(messages.at(-1)!.content).toBe('Refunds take 5 days.');
    expect(model.callCount).toBe(2);
    expect(result.usage).toMatchObject({ steps: 2, toolCalls: 1, inputTokens: 200, outputTokens: 20 });

    const runSpan = t.span('invoke_agent agent');
    const toolSpan = t.span('execute_tool search_docs');
    expect(t.tracing.parentOf(toolSpan)).toBe(runSpan.spanContext().spanId);
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.tool.name': 'search_docs',
      'gen_ai.tool.call.id': 'call_1',
      'warden.tool.outcome': 'ok',
    });
    expect(t.events('tool_call')).toEqual([expect.objectContaining({ tool: 'search_docs', outcome: 'ok' })]);
    await t.warden.close();
  });

  it("denies a tool outside the run's tools narrowing: never executed, the model gets the forModel text", async () => {
    const { search, searchExecute, refund, refundExecute } = tools();
    const t = setup({ tools: [search, refund], approvals: { secret: SECRET } });
    const model = fakeChatModel([
      { toolCalls: [{ name: 'refund', args: { orderId: 'o1', amount: 10 } }] },
      { text: 'I cannot refund here.' },
    ]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({ tools: ['search_docs'] }, (run) =>
      graph.invoke(ask('refund o1'), wardenRunConfig(run)),
    );

    expect(refundExecute).not.toHaveBeenCalled();
    expect(searchExecute).not.toHaveBeenCalled();
    const [message] = toolMessages(output(result));
    expect(message).toMatchObject({ name: 'refund', status: 'error' });
    expect(JSON.parse(message!.content as string)).toEqual({
      error: {
        code: 'tool_not_allowed',
        message: "tool 'refund' is not available here. Use one of: search_docs; or answer without a tool.",
        retryable: false,
      },
    });
    // The model saw the denial and answered: it was called again, the run completed.
    expect(model.calls[1]!.messages.at(-1)).toBeInstanceOf(ToolMessage);
    expect(t.span('execute_tool refund').attributes['warden.tool.outcome']).toBe('tool_not_allowed');
    await t.warden.close();
  });

  it('denies a tool the running warden does not have (tools handed over from another warden)', async () => {
    const { search, refund, refundExecute } = tools();
    const other = createWarden({ tools: [refund], approvals: { secret: SECRET } });
    const t = setup({ tools: [search] });
    const model = fakeChatModel([
      { toolCalls: [{ name: 'refund', args: { orderId: 'o1', amount: 10 } }] },
      { text: 'ok' },
    ]);
    const graph = reactGraph(model, toLangChainTools(other));

    const result = await t.warden.run({}, (run) => graph.invoke(ask('refund'), wardenRunConfig(run)));

    expect(refundExecute).not.toHaveBeenCalled();
    const [message] = toolMessages(output(result));
    expect(JSON.parse(message!.content as string).error.code).toBe('tool_not_allowed');
    await Promise.all([t.warden.close(), other.close()]);
  });

  it('invalid arguments reach the model as a tool result (the warden judges them, even where LangChain rejects first)', async () => {
    const { search, searchExecute, refund, refundExecute } = tools();
    const t = setup({ tools: [search, refund], approvals: { secret: SECRET } });
    const model = fakeChatModel([
      {
        toolCalls: [
          { name: 'search_docs', args: { q: 7 } }, // wrong type: LangChain's own schema check fails first
          { name: 'search_docs', args: { q: 'x' } }, // too short
          { name: 'refund', args: { orderId: 'o1', amount: 500 } }, // schema ok, rule fails
        ],
      },
      { text: 'Let me fix that.' },
    ]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, (run) => graph.invoke(ask('go'), wardenRunConfig(run)));

    expect(searchExecute).not.toHaveBeenCalled();
    expect(refundExecute).not.toHaveBeenCalled();
    const errors = toolMessages(output(result)).map((m) => {
      expect(m.status).toBe('error');
      return JSON.parse(m.content as string).error;
    });
    expect(errors.map((e: { code: string }) => e.code)).toEqual([
      'invalid_arguments',
      'invalid_arguments',
      'rule_violation',
    ]);
    expect(errors[0].message).toMatch(/q/);
    expect(errors[2].message).toMatch(/refunds over 100 need a manager/);
    // Every call was counted, audited and traced by the warden.
    expect(result.usage.toolCalls).toBe(3);
    expect(t.events('tool_call').map((e) => e.outcome)).toEqual([
      'invalid_arguments',
      'invalid_arguments',
      'rule_violation',
    ]);
    await t.warden.close();
  });

  it('an approval-gated tool is not executed; the model is told, the pending approval is returned', async () => {
    const { refund, refundExecute } = tools();
    const t = setup({ tools: [refund], approvals: { secret: SECRET } });
    const model = fakeChatModel([
      { toolCalls: [{ name: 'refund', args: { orderId: 'o9', amount: 80 } }] },
      { text: 'A human must approve this refund.' },
    ]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({ userId: 'u1' }, (run) =>
      graph.invoke(ask('refund o9'), wardenRunConfig(run)),
    );

    expect(refundExecute).not.toHaveBeenCalled();
    const [message] = toolMessages(output(result));
    expect(JSON.parse(message!.content as string).error.code).toBe('approval_required');
    expect(result.pending).toEqual([
      expect.objectContaining({ tool: 'refund', args: { orderId: 'o9', amount: 80 }, userId: 'u1' }),
    ]);
    await t.warden.close();
  });

  it('calling a wrapped tool outside a run throws, and execute never runs', async () => {
    const { search, searchExecute } = tools();
    const warden = createWarden({ tools: [search] });
    const [lc] = toLangChainTools(warden);

    await expect(lc!.invoke({ q: 'refunds' })).rejects.toSatisfy(
      (e) => WardenError.isInstance(e) && e.code === 'no_current_run',
    );
    // Invalid arguments outside a run are refused the same way, not answered unguarded.
    await expect(lc!.invoke({ q: 7 } as never)).rejects.toThrow(/No current run/);
    // Inside a graph outside a run, ToolNode turns the error into a tool message; still no execute.
    const graph = reactGraph(
      fakeChatModel([{ toolCalls: [{ name: 'search_docs', args: { q: 'ab' } }] }, {}]),
      [lc!],
    );
    const state = await graph.invoke(ask('hi'));
    expect(toolMessages(state.messages)[0]!.content).toMatch(/No current run/);
    expect(searchExecute).not.toHaveBeenCalled();
    await warden.close();
  });

  it('invoked directly inside a run: the value as text, or a ToolMessage for a tool call', async () => {
    const { search } = tools();
    const warden = createWarden({ tools: [search] });
    const result = await warden.run({}, async () => {
      const [lc] = toLangChainTools(warden);
      const text = await lc!.invoke({ q: 'abc' });
      const message = await lc!.invoke({
        name: 'search_docs',
        args: { q: 'a' },
        id: 'c7',
        type: 'tool_call',
      });
      return { text, message };
    });
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    expect(result.output.text).toBe('{"hits":["doc about abc"]}');
    expect(result.output.message).toBeInstanceOf(ToolMessage);
    expect(result.output.message).toMatchObject({ tool_call_id: 'c7', status: 'error' });
    await warden.close();
  });
});
