import { tool } from '@langchain/core/tools';
import { createWarden, WardenConfigError } from 'agent-warden';
import { fromLangChainTools, toLangChainTools, wardenRunConfig } from 'agent-warden/langchain';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import { setup } from '../../warden/helpers.js';
import { ask, fakeChatModel, reactGraph, toolMessages } from './fixtures.js';

const SECRET = 'x'.repeat(32);

/** Tools a team already has, written with LangChain's `tool()`. */
function existingTools() {
  const lookup = vi.fn(async ({ orderId }: { orderId: string }, _config?: { signal?: AbortSignal }) => ({
    orderId,
    status: 'shipped',
  }));
  const lookupOrder = tool(lookup, {
    name: 'lookup_order',
    description: 'Look up an order',
    schema: z.object({ orderId: z.string() }),
  });
  const send = vi.fn(async ({ to }: { to: string; body: string }) => `sent to ${to}`);
  const sendEmail = tool(send, {
    name: 'send_email',
    description: 'Send an email',
    schema: z.object({ to: z.string(), body: z.string() }),
  });
  return { lookupOrder, lookup, sendEmail, send };
}

describe('fromLangChainTools', () => {
  it('keeps name, description and schema; execute calls the original tool with the parsed args and the signal', async () => {
    const { lookupOrder, lookup } = existingTools();
    const [def] = fromLangChainTools([lookupOrder]);
    expect(def).toMatchObject({ name: 'lookup_order', description: 'Look up an order' });
    expect(def.input).toBe(lookupOrder.schema);

    const warden = createWarden({ tools: [def] });
    const result = await warden.run({}, (run) => run.tool('lookup_order', '{"orderId":"o1"}'));
    expect(result).toMatchObject({
      status: 'completed',
      output: { ok: true, value: { orderId: 'o1', status: 'shipped' } },
    });
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(lookup.mock.calls[0]![0]).toEqual({ orderId: 'o1' });
    expect(lookup.mock.calls[0]![1]?.signal).toBeInstanceOf(AbortSignal);
    await warden.close();
  });

  it('adds guard options by tool name: effect, rules, approval', async () => {
    const { lookupOrder, sendEmail, send } = existingTools();
    const tools = fromLangChainTools([lookupOrder, sendEmail], {
      lookup_order: { effect: 'read', retry: { retries: 1 } },
      send_email: {
        rules: [
          (a) => a.to.endsWith('@example.com') || { path: ['to'], message: 'only @example.com addresses' },
        ],
        approval: 'confirm',
      },
    });
    expect(tools[0].effect).toBe('read');
    expect(tools[1].effect).toBeUndefined(); // defineTool default: 'write'

    const warden = createWarden({ tools, approvals: { secret: SECRET } });
    const result = await warden.run({ userId: 'u1' }, async (run) => [
      await run.tool('send_email', { to: 'eve@evil.test', body: 'hi' }),
      await run.tool('send_email', { to: 'bob@example.com', body: 'hi' }),
    ]);
    if (result.status !== 'completed') throw new Error('expected completed');
    expect(result.output.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual([
      'rule_violation',
      'approval_required',
    ]);
    expect(send).not.toHaveBeenCalled();
    expect(result.pending).toHaveLength(1);
    await warden.close();
  });

  it('an override for a tool that is not in the list is a WardenConfigError naming it', () => {
    const { lookupOrder } = existingTools();
    const call = () =>
      fromLangChainTools([lookupOrder], {
        lookup_order: { effect: 'read' },
        lookup_ordr: { effect: 'read' },
      } as never);
    expect(call).toThrow(WardenConfigError);
    expect(call).toThrow(
      "fromLangChainTools(overrides).lookup_ordr: 'lookup_ordr' is not among the tools; the tools are: lookup_order",
    );
  });

  it('rejects an unknown guard option, a bad tool name and a non-tool', () => {
    const { lookupOrder } = existingTools();
    expect(() => fromLangChainTools([lookupOrder], { lookup_order: { efect: 'read' } as never })).toThrow(
      /fromLangChainTools\(overrides\)\.lookup_order\.efect: not a guard option/,
    );
    const spaced = tool(async () => 'x', { name: 'look up', description: 'd', schema: z.object({}) });
    expect(() => fromLangChainTools([spaced])).toThrow(/fromLangChainTools\(tools\[0\]\)\.name/);
    expect(() => fromLangChainTools([{}] as never)).toThrow(WardenConfigError);
    expect(() => fromLangChainTools('nope' as never)).toThrow(WardenConfigError);
  });

  it('a tool with a JSON Schema gets a zod schema from it, so the warden validates its arguments', async () => {
    const func = vi.fn(async ({ city }: { city: string }) => `sunny in ${city}`);
    const weather = tool(func, {
      name: 'weather',
      description: 'Weather for a city',
      schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    });
    const warden = createWarden({ tools: fromLangChainTools([weather], { weather: { effect: 'read' } }) });
    const result = await warden.run({}, async (run) => [
      await run.tool('weather', { city: 7 }),
      await run.tool('weather', { city: 'Oslo' }),
    ]);
    if (result.status !== 'completed') throw new Error('expected completed');
    expect(result.output[0]).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(result.output[1]).toMatchObject({ ok: true, value: 'sunny in Oslo' });
    expect(func).toHaveBeenCalledTimes(1);
    await warden.close();
  });

  it('round trip: existing tools, guarded, back into a LangGraph ToolNode', async () => {
    const { lookupOrder, lookup, sendEmail, send } = existingTools();
    const t = setup({
      tools: fromLangChainTools([lookupOrder, sendEmail], { lookup_order: { effect: 'read' } }),
    });
    const model = fakeChatModel([
      {
        toolCalls: [
          { name: 'lookup_order', args: { orderId: 'o1' } },
          { name: 'send_email', args: { to: 'bob@example.com', body: 'shipped' } },
        ],
      },
      // The model repeats the email: the write tool's idempotency replays the stored result.
      { toolCalls: [{ name: 'send_email', args: { to: 'bob@example.com', body: 'shipped' } }] },
      { text: 'Done.' },
    ]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, (run) => graph.invoke(ask('tell bob'), wardenRunConfig(run)));

    if (result.status !== 'completed') throw new Error('expected completed');
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(send).toHaveBeenCalledTimes(1);
    const messages = toolMessages(result.output.messages);
    expect(messages.map((m) => m.content)).toEqual([
      '{"orderId":"o1","status":"shipped"}',
      'sent to bob@example.com',
      'sent to bob@example.com',
    ]);
    expect(t.events('tool_call')).toEqual([
      expect.objectContaining({ tool: 'lookup_order', outcome: 'ok' }),
      expect.objectContaining({ tool: 'send_email', outcome: 'ok', replayed: false }),
      expect.objectContaining({ tool: 'send_email', outcome: 'ok', replayed: true }),
    ]);
    await t.warden.close();
  });
});

describe('fromLangChainTools types', () => {
  it('types overrides by tool name and arguments, and keeps the names for withTools', async () => {
    const refund = tool(async ({ amount }) => `refunded ${amount}`, {
      name: 'refund',
      description: 'Refund',
      schema: z.object({ orderId: z.string(), amount: z.number() }),
    });
    const search = tool(async ({ q }) => q, {
      name: 'search',
      description: 'Search',
      schema: z.object({ q: z.string() }),
    });
    const tools = fromLangChainTools([refund, search], {
      refund: {
        rules: [
          (args) => {
            expectTypeOf(args).toEqualTypeOf<{ orderId: string; amount: number }>();
            return args.amount < 100;
          },
        ],
      },
      search: { effect: 'read' },
    });
    expectTypeOf(tools[0].name).toEqualTypeOf<'refund'>();
    expectTypeOf(tools[1].name).toEqualTypeOf<'search'>();

    const warden = createWarden({ tools });
    const mocked = warden.withTools({ refund: { execute: () => 'mocked' } }, { passthrough: true });
    // @ts-expect-error not a tool of this warden
    expect(() => warden.withTools({ refnd: { execute: () => 'mocked' } })).toThrow(WardenConfigError);
    // @ts-expect-error not a tool in the list
    expect(() => fromLangChainTools([refund], { refnd: { effect: 'read' } })).toThrow(WardenConfigError);
    await Promise.all([warden.close(), mocked.close()]);
  });
});
