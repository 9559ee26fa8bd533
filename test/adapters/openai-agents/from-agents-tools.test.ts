import { Agent, type RunContext, run as runAgent, tool, webSearchTool } from '@openai/agents';
import { ScriptedModel } from '@openai/agents/testing';
import { createWarden, WardenConfigError } from 'agent-warden';
import { fromAgentsTools, toAgentsTools, wardenModel } from 'agent-warden/openai-agents';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { inMemoryTracing } from '../../support/otel.js';
import { callTurn, MODEL, textTurn, toolResultsSeen } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Existing Agents SDK tools, as a team already has them. */
function sdkTools() {
  const lookup = vi.fn(
    async (
      input: { orderId: string; verbose?: boolean | undefined },
      _ctx?: RunContext<any>,
      details?: any,
    ) => ({
      orderId: input.orderId,
      total: 180,
      callId: details?.toolCall?.callId,
    }),
  );
  const refund = vi.fn(
    async (input: { orderId: string; amount: number }) => `refunded ${input.amount} on ${input.orderId}`,
  );
  const wire = vi.fn(async () => 'wired');
  const lookupOrder = tool({
    name: 'lookup_order',
    description: 'Find an order by id',
    parameters: z.object({ orderId: z.string(), verbose: z.boolean().optional() }),
    errorFunction: null,
    execute: lookup,
  });
  const refundOrder = tool({
    name: 'refund_order',
    description: 'Refund part of an order',
    parameters: z.object({ orderId: z.string(), amount: z.number() }),
    errorFunction: null,
    needsApproval: async (_ctx, input) => input.amount > 100,
    execute: refund,
  });
  const wireMoney = tool({
    name: 'wire_money',
    description: 'Wire money out',
    parameters: z.object({ iban: z.string() }),
    errorFunction: null,
    needsApproval: true,
    execute: wire,
  });
  return { list: [lookupOrder, refundOrder, wireMoney], execute: { lookup, refund, wire } };
}

async function fixture(overrides: Parameters<typeof fromAgentsTools>[1] = {}) {
  const sdk = sdkTools();
  const tracing = inMemoryTracing();
  const tools = await fromAgentsTools(sdk.list, { lookup_order: { effect: 'read' }, ...overrides });
  const warden = createWarden({
    agent: { name: 'from-agents' },
    tools,
    approvals: { secret: 'x'.repeat(32) },
    pricing: { [MODEL]: { inputPerMTok: 2, outputPerMTok: 8 } },
    telemetry: { tracer: tracing.tracer },
  });
  closers.push(
    () => warden.close(),
    () => tracing.shutdown(),
  );
  return { warden, tracing, tools, execute: sdk.execute };
}

function agentFor(
  warden: Parameters<typeof toAgentsTools>[0],
  turns: ConstructorParameters<typeof ScriptedModel>[0],
) {
  const model = new ScriptedModel(turns);
  const agent = new Agent({
    name: 'support',
    model: wardenModel(model, { model: MODEL }),
    tools: toAgentsTools(warden),
  });
  return { model, agent };
}

describe('fromAgentsTools', () => {
  it('keeps names and descriptions and maps needsApproval to the warden approval', async () => {
    const { tools } = await fixture();
    expect(tools.map((t) => [t.name, t.description])).toEqual([
      ['lookup_order', 'Find an order by id'],
      ['refund_order', 'Refund part of an order'],
      ['wire_money', 'Wire money out'],
    ]);
    const [lookup, refund, wire] = tools;
    expect(lookup!.effect).toBe('read');
    expect(lookup!.approval).toBe('none');
    expect(refund!.effect).toBeUndefined(); // the warden's default: 'write'
    expect(refund!.approval).toBeTypeOf('function'); // the SDK policy, asked per call
    expect(wire!.approval).toBe('confirm');
  });

  it('needs no approval secret when no tool asks for approval', async () => {
    const sdk = sdkTools();
    const tools = await fromAgentsTools([sdk.list[0]!]);
    const warden = createWarden({ tools });
    closers.push(() => warden.close());
    expect(warden.toolNames).toEqual(['lookup_order']);
  });

  it('runs the original tool through the guards, with the SDK run context and call id', async () => {
    const { warden, tracing, execute } = await fixture();
    const { model, agent } = agentFor(warden, [
      callTurn([['lookup_order', { orderId: 'ord_1', verbose: null }, 'call_1']]),
      textTurn('Your order total is $180.'),
    ]);
    const appContext = { tenant: 'acme' };

    const result = await warden.run({ userId: 'u1' }, async (run) => {
      const r = await runAgent(agent, 'Where is ord_1?', { context: appContext, signal: run.signal });
      return r.finalOutput;
    });

    expect(result.status === 'completed' && result.output).toBe('Your order total is $180.');
    expect(execute.lookup).toHaveBeenCalledTimes(1);
    const [input, ctx, details] = execute.lookup.mock.calls[0]!;
    expect(input).toEqual({ orderId: 'ord_1' });
    expect(ctx?.context).toBe(appContext);
    expect(details.signal).toBeInstanceOf(AbortSignal);
    expect(JSON.parse(toolResultsSeen(model).call_1!)).toEqual({
      orderId: 'ord_1',
      total: 180,
      callId: 'call_1',
    });
    expect(tracing.one('execute_tool lookup_order').attributes['warden.tool.outcome']).toBe('ok');
  });

  it('validates against the tool schema before the original runs', async () => {
    const { warden, execute } = await fixture();
    const { model, agent } = agentFor(warden, [
      callTurn([['lookup_order', { orderId: 42, verbose: null }, 'call_bad']]),
      textTurn('Which order?'),
    ]);
    const result = await warden.run(
      {},
      async (run) => (await runAgent(agent, 'x', { signal: run.signal })).finalOutput,
    );
    expect(result.status).toBe('completed');
    expect(execute.lookup).not.toHaveBeenCalled();
    expect(JSON.parse(toolResultsSeen(model).call_bad!).error.code).toBe('invalid_arguments');
  });

  it('asks a needsApproval policy per call: over the limit the tool is not executed and a pending approval is made', async () => {
    const { warden, execute } = await fixture();
    const { model, agent } = agentFor(warden, [
      callTurn([
        ['refund_order', { orderId: 'ord_1', amount: 40 }, 'call_small'],
        ['refund_order', { orderId: 'ord_2', amount: 400 }, 'call_big'],
        ['wire_money', { iban: 'DE00' }, 'call_wire'],
      ]),
      textTurn('The big refund and the wire need a human.'),
    ]);
    let interruptions: unknown[] | undefined;
    const result = await warden.run({ userId: 'u1' }, async (run) => {
      const r = await runAgent(agent, 'refund both', { signal: run.signal });
      interruptions = r.interruptions;
      return r.finalOutput;
    });

    expect(result.status).toBe('completed');
    expect(interruptions ?? []).toHaveLength(0); // the SDK's own approval flow is not used
    expect(execute.refund).toHaveBeenCalledTimes(1);
    expect(execute.refund.mock.calls[0]![0]).toEqual({ orderId: 'ord_1', amount: 40 });
    expect(execute.wire).not.toHaveBeenCalled();
    const seen = toolResultsSeen(model);
    expect(seen.call_small).toBe('refunded 40 on ord_1');
    expect(JSON.parse(seen.call_big!).error.code).toBe('approval_required');
    expect(JSON.parse(seen.call_wire!).error.code).toBe('approval_required');
    expect(result.pending.map((p) => p.tool).sort()).toEqual(['refund_order', 'wire_money']);

    // The signed token is the authority: once a human approves, exactly that call runs.
    const pending = result.pending.find((p) => p.tool === 'refund_order')!;
    const approved = await warden.approve(pending.id, { approver: 'lead' });
    expect(approved.status).toBe('approved');
    const outcome = await warden.executeApproved((approved as { token: string }).token, { userId: 'u1' });
    expect(outcome.ok && outcome.value).toBe('refunded 400 on ord_2');
    expect(execute.refund).toHaveBeenCalledTimes(2);
  });

  it('adds guard options from overrides: rules, approval and an exact zod input', async () => {
    const { warden, execute } = await fixture({
      refund_order: {
        approval: 'none',
        input: z.object({
          orderId: z.string().startsWith('ord_', 'expected an order id such as ord_1'),
          amount: z.number().positive(),
        }),
        rules: [(a) => a.amount <= 50 || 'refunds over $50 need a human'],
      },
    });
    const { model, agent } = agentFor(warden, [
      callTurn([
        ['refund_order', { orderId: 'x1', amount: 10 }, 'call_id'],
        ['refund_order', { orderId: 'ord_1', amount: 80 }, 'call_rule'],
        ['refund_order', { orderId: 'ord_1', amount: 30 }, 'call_ok'],
      ]),
      textTurn('done'),
    ]);
    const result = await warden.run(
      {},
      async (run) => (await runAgent(agent, 'x', { signal: run.signal })).finalOutput,
    );
    expect(result.status).toBe('completed');
    const seen = toolResultsSeen(model);
    expect(JSON.parse(seen.call_id!).error.message).toMatch(/expected an order id such as ord_1/);
    expect(JSON.parse(seen.call_rule!).error).toMatchObject({ code: 'rule_violation' });
    expect(seen.call_ok).toBe('refunded 30 on ord_1');
    expect(execute.refund).toHaveBeenCalledTimes(1);
  });

  it('lets failures of a tool made with errorFunction: null reach the warden (retries, tool_error)', async () => {
    const flakyExecute = vi
      .fn()
      .mockRejectedValueOnce(Object.assign(new Error('upstream 503'), { status: 503 }))
      .mockResolvedValueOnce('second time lucky');
    const flaky = tool({
      name: 'flaky_read',
      description: 'A read that sometimes fails',
      parameters: z.object({ id: z.string() }),
      errorFunction: null,
      execute: flakyExecute,
    });
    const tools = await fromAgentsTools([flaky], {
      flaky_read: { effect: 'read', retry: { retries: 1, minDelayMs: 0, maxDelayMs: 0 } },
    });
    const warden = createWarden({ tools });
    closers.push(() => warden.close());
    const result = await warden.run({}, (run) => run.tool('flaky_read', { id: '1' }));
    expect(result.status === 'completed' && result.output.ok && result.output.value).toBe(
      'second time lucky',
    );
    expect(flakyExecute).toHaveBeenCalledTimes(2);
  });

  it('works outside the SDK too: run.tool() gives the original a fresh RunContext', async () => {
    const { warden, execute } = await fixture();
    const result = await warden.run({}, (run) =>
      run.tool('lookup_order', { orderId: 'ord_9', verbose: true }),
    );
    expect(result.status === 'completed' && result.output.ok).toBe(true);
    expect(execute.lookup.mock.calls[0]![0]).toEqual({ orderId: 'ord_9', verbose: true });
    expect(execute.lookup.mock.calls[0]![1]).toBeDefined();
  });

  it('rejects overrides for unknown tools, unknown options and non-function tools with a WardenConfigError', async () => {
    const sdk = sdkTools();
    await expect(fromAgentsTools(sdk.list, { lookup_ordr: { effect: 'read' }, nope: {} })).rejects.toThrow(
      WardenConfigError,
    );
    await expect(fromAgentsTools(sdk.list, { lookup_ordr: { effect: 'read' } })).rejects.toThrow(
      /'lookup_ordr' is not among the tools; the tools are: lookup_order, refund_order, wire_money/,
    );
    await expect(fromAgentsTools(sdk.list, { lookup_order: { efect: 'read' } as never })).rejects.toThrow(
      /lookup_order\.efect: not a guard option; accepted: effect, .*, input$/,
    );
    await expect(fromAgentsTools([webSearchTool()])).rejects.toThrow(/only function tools/);
    await expect(fromAgentsTools('x' as never)).rejects.toThrow(WardenConfigError);
  });
});
