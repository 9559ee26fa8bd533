import { createWarden, type ToolContext, WardenConfigError } from 'agent-warden';
import { fromOpenAITools, runToolCalls, toChatCompletionsTools, toResponsesTools } from 'agent-warden/openai';
import type OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';

/** Tools as a team already sends them to Chat Completions (strict) and to the Responses API. */
const weatherTool: OpenAI.Chat.Completions.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1 },
        unit: { type: ['string', 'null'], enum: ['c', 'f', null] },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
    strict: true,
  },
};
const refundTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'refund_order',
  description: 'Refund an order',
  parameters: {
    type: 'object',
    properties: { orderId: { type: 'string' }, amount: { type: 'number', exclusiveMinimum: 0 } },
    required: ['orderId', 'amount'],
  },
  strict: false,
};

function call(id: string, name: string, args: unknown) {
  return { id, type: 'function' as const, function: { name, arguments: JSON.stringify(args) } };
}

describe('fromOpenAITools', () => {
  it('keeps name, description, schema and handler; the JSON Schema validates before the handler runs', async () => {
    const getWeather = vi.fn(async (args: Record<string, unknown>, _ctx: ToolContext) => ({
      ...args,
      tempC: 18,
    }));
    const refund = vi.fn(async () => ({ refundId: 'rf_1' }));
    const warden = createWarden({
      tools: fromOpenAITools([weatherTool, refundTool], { get_weather: getWeather, refund_order: refund }),
    });
    expect(warden.toolNames).toEqual(['get_weather', 'refund_order']);

    const result = await warden.run({}, (run) =>
      runToolCalls(run, [
        call('c1', 'get_weather', { city: 'Paris', unit: 'c' }),
        call('c2', 'get_weather', { city: '', unit: 'c' }),
        call('c3', 'get_weather', { city: 'Rome', unit: 'c', extra: true }),
        call('c4', 'refund_order', { orderId: 'o1', amount: -5 }),
      ]),
    );
    expect(result.status).toBe('completed');
    const messages = result.status === 'completed' ? result.output : [];
    expect(messages[0]!.content).toBe('{"city":"Paris","unit":"c","tempC":18}');
    expect(messages.slice(1).map((m) => JSON.parse(m.content).error.code)).toEqual([
      'invalid_arguments',
      'invalid_arguments',
      'invalid_arguments',
    ]);
    expect(getWeather).toHaveBeenCalledTimes(1);
    expect(getWeather.mock.calls[0]![1]).toMatchObject({ callId: 'c1', toolName: 'get_weather' });
    expect(refund).not.toHaveBeenCalled();
    await warden.close();
  });

  it('hands the original definitions back to the model, with their strict flag', () => {
    const warden = createWarden({
      tools: fromOpenAITools([weatherTool, refundTool], {
        get_weather: () => null,
        refund_order: () => null,
      }),
    });
    expect(toChatCompletionsTools(warden)).toEqual([
      weatherTool,
      {
        type: 'function',
        function: {
          name: 'refund_order',
          description: 'Refund an order',
          parameters: refundTool.parameters,
          strict: false,
        },
      },
    ]);
    expect(toResponsesTools(warden)[0]).toEqual({ type: 'function', ...weatherTool.function });
    // Also after withTools (the testing kit) — the schema object is shared.
    expect(toChatCompletionsTools(warden.withTools({ get_weather: { execute: () => 1 } }))[0]).toEqual(
      weatherTool,
    );
  });

  it('adds guard options through overrides: read effect, approval, rules', async () => {
    const refund = vi.fn(async () => ({ refundId: 'rf_1' }));
    const warden = createWarden({
      tools: fromOpenAITools(
        [weatherTool, refundTool],
        { get_weather: () => ({ tempC: 18 }), refund_order: refund },
        {
          get_weather: { effect: 'read' },
          refund_order: {
            approval: (a) => (a.amount > 100 ? 'confirm' : 'none'),
            rules: [(a) => a.orderId.startsWith('ord_') || 'orderId must start with ord_'],
          },
        },
      ),
      approvals: { secret: 'x'.repeat(32) },
    });
    const result = await warden.run({ userId: 'u1' }, (run) =>
      runToolCalls(run, [
        call('c1', 'refund_order', { orderId: 'o1', amount: 5 }),
        call('c2', 'refund_order', { orderId: 'ord_1', amount: 500 }),
        call('c3', 'refund_order', { orderId: 'ord_2', amount: 5 }),
      ]),
    );
    const messages = result.status === 'completed' ? result.output : [];
    expect(messages.map((m) => JSON.parse(m.content).error?.code ?? 'ok')).toEqual([
      'rule_violation',
      'approval_required',
      'ok',
    ]);
    expect(refund).toHaveBeenCalledTimes(1);
    expect(result.pending).toEqual([
      expect.objectContaining({ tool: 'refund_order', args: { orderId: 'ord_1', amount: 500 } }),
    ]);
    await warden.close();
  });

  it('an override for a name that is not among the tools is a WardenConfigError naming it', () => {
    const make = () =>
      fromOpenAITools([weatherTool], { get_weather: () => null }, { get_wether: { effect: 'read' } });
    expect(make).toThrow(WardenConfigError);
    expect(make).toThrow(
      /fromOpenAITools\(overrides\)\.get_wether: 'get_wether' is not among the tools; the tools are: get_weather/,
    );
  });

  it('rejects a missing handler, a stray handler, an unknown guard option and a non-function tool', () => {
    expect(() => fromOpenAITools([weatherTool], {})).toThrow(
      /fromOpenAITools\(handlers\)\.get_weather: no handler/,
    );
    expect(() => fromOpenAITools([weatherTool], { get_weather: () => null, other: () => null })).toThrow(
      /fromOpenAITools\(handlers\)\.other: 'other' is not among the tools/,
    );
    expect(() =>
      fromOpenAITools(
        [weatherTool],
        { get_weather: () => null },
        {
          get_weather: { execute: () => null } as unknown as { effect: 'read' },
        },
      ),
    ).toThrow(/overrides\)\.get_weather\.execute: not a guard option/);
    expect(() =>
      fromOpenAITools(
        [{ type: 'custom', custom: { name: 'x' } } as unknown as OpenAI.Responses.FunctionTool],
        {},
      ),
    ).toThrow(/fromOpenAITools\(tools\)\[0\]: expected a function tool/);
  });

  it('a tool without parameters takes an empty argument object', async () => {
    const ping = vi.fn(() => 'pong');
    const warden = createWarden({
      tools: fromOpenAITools(
        [{ type: 'function', function: { name: 'ping' } }],
        { ping },
        { ping: { effect: 'read' } },
      ),
    });
    const result = await warden.run({}, (run) => runToolCalls(run, [call('c1', 'ping', {})]));
    expect(result).toMatchObject({
      status: 'completed',
      output: [{ role: 'tool', tool_call_id: 'c1', content: 'pong' }],
    });
    await warden.close();
  });
});
