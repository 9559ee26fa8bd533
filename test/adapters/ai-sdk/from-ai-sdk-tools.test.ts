import { createWarden, WardenConfigError } from 'agent-warden';
import { fromAiSdkTools, toAiSdkTools, wardenMiddleware } from 'agent-warden/ai-sdk';
import { asSchema, generateText, isStepCount, jsonSchema, tool, wrapLanguageModel } from 'ai';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import { setup } from '../../warden/helpers.js';
import { SECRET, scriptedModel, textOf, toolResultsIn } from './helpers.js';

type Setup = ReturnType<typeof setup>;
let t: Setup | undefined;
afterEach(async () => {
  await t?.warden.close();
  await t?.tracing.shutdown();
  t = undefined;
});

/** An existing AI SDK tool set, as a team already has it. */
function existingTools() {
  const weatherExecute = vi.fn(async ({ city }: { city: string }, _options?: unknown) => ({
    city,
    tempC: 21,
  }));
  const emailExecute = vi.fn(async (input: { to: string; body: string }) => ({ id: `m_${input.to}` }));
  const toolSet = {
    get_weather: tool({
      description: 'Current weather in a city',
      inputSchema: z.object({ city: z.string().min(2) }),
      execute: weatherExecute,
    }),
    send_email: tool({
      description: 'Send an email',
      inputSchema: jsonSchema<{ to: string; body: string }>(
        {
          type: 'object',
          properties: { to: { type: 'string' }, body: { type: 'string' } },
          required: ['to', 'body'],
          additionalProperties: false,
        },
        {
          validate: (value) => {
            const v = value as Record<string, unknown>;
            if (typeof v?.to === 'string' && typeof v.body === 'string') {
              return { success: true, value: { to: v.to, body: v.body } };
            }
            const error = Object.assign(new Error('to and body must be strings'), {
              issues: [{ path: ['to'], message: 'expected a string' }],
            });
            return { success: false, error };
          },
        },
      ),
      execute: emailExecute,
    }),
  };
  return { toolSet, weatherExecute, emailExecute };
}

describe('fromAiSdkTools', () => {
  it('keeps name, description, schema and execute; guard options come from overrides', async () => {
    const { toolSet, weatherExecute } = existingTools();
    const tools = fromAiSdkTools(toolSet, {
      get_weather: { effect: 'read', rules: [(a) => a.city !== 'Atlantis' || 'no such city'] },
    });
    expect(tools.map((x) => x.name)).toEqual(['get_weather', 'send_email']);
    expect(tools[0]).toMatchObject({ description: 'Current weather in a city', effect: 'read' });
    expect(tools[1]?.effect).toBeUndefined(); // write by default, like every warden tool
    expectTypeOf(tools[0]!.name).toEqualTypeOf<'get_weather' | 'send_email'>();

    t = setup({ tools });
    const result = await t.warden.run({}, async (run) => ({
      ok: await run.tool('get_weather', { city: 'Paris' }),
      rule: await run.tool('get_weather', { city: 'Atlantis' }),
      schema: await run.tool('get_weather', { city: 'P' }),
    }));
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    expect(result.output.ok).toMatchObject({ ok: true, value: { city: 'Paris', tempC: 21 } });
    expect(result.output.rule).toMatchObject({ ok: false, error: { code: 'rule_violation' } });
    expect(result.output.schema).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(weatherExecute).toHaveBeenCalledTimes(1);
    // The original execute gets AI SDK execution options with the warden's call id and signal.
    const options = weatherExecute.mock.calls[0]![1] as { toolCallId: string; abortSignal: AbortSignal };
    expect(typeof options.toolCallId).toBe('string');
    expect(options.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it("validates a jsonSchema() input with the schema's own validate, with paths", async () => {
    const { toolSet, emailExecute } = existingTools();
    t = setup({ tools: fromAiSdkTools(toolSet) });
    const result = await t.warden.run({}, async (run) => ({
      bad: await run.tool('send_email', { to: 7, body: 'hi' }),
      good: await run.tool('send_email', '{"to":"a@acme.com","body":"hi"}'),
    }));
    if (result.status !== 'completed') throw new Error('expected completed');
    expect(result.output.bad).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(result.output.bad.forModel()).toContain('to');
    expect(result.output.good).toMatchObject({ ok: true, value: { id: 'm_a@acme.com' } });
    expect(emailExecute).toHaveBeenCalledTimes(1);
  });

  it('round-trips through toAiSdkTools: the model sees the original JSON Schema, execute gets the AI SDK options', async () => {
    const { toolSet, weatherExecute } = existingTools();
    t = setup({ tools: fromAiSdkTools(toolSet, { get_weather: { effect: 'read' } }) });
    const aiTools = toAiSdkTools(t.warden);
    expect(await asSchema(aiTools.send_email!.inputSchema).jsonSchema).toEqual(
      await asSchema(toolSet.send_email.inputSchema).jsonSchema,
    );
    expect(await asSchema(aiTools.get_weather!.inputSchema).jsonSchema).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string', minLength: 2 } },
    });

    const mock = scriptedModel([
      { toolCalls: [{ id: 'w1', name: 'get_weather', input: { city: 'Oslo' } }] },
      { text: '21 degrees.' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    const result = await t.warden.run({}, async (run) => {
      const r = await generateText({
        model,
        tools: aiTools,
        stopWhen: isStepCount(3),
        abortSignal: run.signal,
        prompt: 'Weather in Oslo?',
      });
      return r.text;
    });
    expect(result).toMatchObject({ status: 'completed', output: '21 degrees.' });
    const options = weatherExecute.mock.calls[0]![1] as { toolCallId: string; messages: unknown[] };
    expect(options.toolCallId).toBe('w1');
    expect(options.messages).toEqual([{ role: 'user', content: 'Weather in Oslo?' }]);
    expect(toolResultsIn(mock.doGenerateCalls[1])[0]?.output).toEqual({
      type: 'json',
      value: { city: 'Oslo', tempC: 21 },
    });
  });

  it('a tool that needs approval (overrides) is not executed through the AI SDK', async () => {
    const { toolSet, emailExecute } = existingTools();
    t = setup({
      tools: fromAiSdkTools(toolSet, { send_email: { approval: 'confirm' } }),
      approvals: { secret: SECRET },
    });
    const mock = scriptedModel([
      { toolCalls: [{ name: 'send_email', input: { to: 'ceo@acme.com', body: 'hi' } }] },
      { text: 'Waiting for approval.' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    const result = await t.warden.run({ userId: 'u1' }, (run) =>
      generateText({
        model,
        tools: toAiSdkTools(t!.warden),
        stopWhen: isStepCount(3),
        abortSignal: run.signal,
        prompt: 'x',
      }),
    );
    expect(result.status).toBe('completed');
    expect(emailExecute).not.toHaveBeenCalled();
    expect(result.pending).toEqual([expect.objectContaining({ tool: 'send_email' })]);
    expect(JSON.parse(textOf(toolResultsIn(mock.doGenerateCalls[1])[0]?.output))).toMatchObject({
      error: { code: 'approval_required' },
    });
  });

  it("keeps the AI SDK tool's needsApproval as approval: 'confirm' (fail closed)", () => {
    const tools = fromAiSdkTools({
      wipe: tool({ inputSchema: z.object({}), needsApproval: true, execute: async () => 'done' }),
    });
    expect(tools[0]?.approval).toBe('confirm');
    // Approval needs a secret: the warden refuses to start without one.
    expect(() => createWarden({ tools })).toThrow(/approvals\.secret/);
  });

  it('a needsApproval function decides per call, with the AI SDK messages', async () => {
    const payExecute = vi.fn(async ({ amount }: { amount: number }) => ({ paid: amount }));
    const needsApproval = vi.fn(
      (input: { amount: number }, _options: { messages: unknown[] }) => input.amount > 10,
    );
    t = setup({
      tools: fromAiSdkTools({
        pay: tool({ inputSchema: z.object({ amount: z.number() }), needsApproval, execute: payExecute }),
      }),
      approvals: { secret: SECRET },
    });
    const mock = scriptedModel([
      {
        toolCalls: [
          { name: 'pay', input: { amount: 5 } },
          { name: 'pay', input: { amount: 50 } },
        ],
      },
      { text: 'Paid 5; 50 needs approval.' },
    ]);
    const model = wrapLanguageModel({ model: mock, middleware: wardenMiddleware() });
    const result = await t.warden.run({ userId: 'u1' }, (run) =>
      generateText({
        model,
        tools: toAiSdkTools(t!.warden),
        stopWhen: isStepCount(3),
        abortSignal: run.signal,
        prompt: 'pay',
      }),
    );
    expect(result.status).toBe('completed');
    expect(payExecute).toHaveBeenCalledTimes(1);
    expect(payExecute.mock.calls[0]![0]).toEqual({ amount: 5 });
    expect(result.pending).toEqual([expect.objectContaining({ tool: 'pay', args: { amount: 50 } })]);
    expect(needsApproval.mock.calls[0]![1].messages).toEqual([{ role: 'user', content: 'pay' }]);
  });

  it('collects the last value of a streaming (async iterable) execute', async () => {
    const tools = fromAiSdkTools(
      {
        count: tool({
          inputSchema: z.object({}),
          async *execute() {
            yield 1;
            yield 2;
            yield 3;
          },
        }),
      },
      { count: { effect: 'read' } },
    );
    t = setup({ tools });
    const result = await t.warden.run({}, (run) => run.tool('count', {}));
    expect(result).toMatchObject({ status: 'completed', output: { ok: true, value: 3 } });
  });

  it('withTools mocks are typed by the tool set names and keep the model-facing schema', async () => {
    const { toolSet, weatherExecute } = existingTools();
    const warden = createWarden({ tools: fromAiSdkTools(toolSet, { get_weather: { effect: 'read' } }) });
    const mocked = warden.withTools({ get_weather: { execute: () => ({ city: 'X', tempC: 0 }) } });
    // @ts-expect-error — not a tool of this warden
    expect(() => warden.withTools({ nope: { execute: () => 1 } })).toThrow(WardenConfigError);
    const aiTools = toAiSdkTools(mocked);
    expectTypeOf<keyof typeof aiTools>().toEqualTypeOf<'get_weather' | 'send_email'>();
    expect(await asSchema(aiTools.send_email!.inputSchema).jsonSchema).toEqual(
      await asSchema(toolSet.send_email.inputSchema).jsonSchema,
    );
    const result = await mocked.run({}, (run) => run.tool('get_weather', { city: 'Rome' }));
    expect(result).toMatchObject({ status: 'completed', output: { ok: true, value: { city: 'X' } } });
    expect(weatherExecute).not.toHaveBeenCalled();
    await warden.close();
    await mocked.close();
  });

  describe('configuration errors', () => {
    it('an overrides name missing from the tool set is a WardenConfigError naming it', () => {
      const { toolSet } = existingTools();
      const attempt = () =>
        // @ts-expect-error — 'get_wether' is not in the tool set
        fromAiSdkTools(toolSet, { get_wether: { effect: 'read' }, send_mail: { approval: 'confirm' } });
      expect(attempt).toThrow(WardenConfigError);
      expect(attempt).toThrow(
        /fromAiSdkTools\(overrides\)\.get_wether: 'get_wether', 'send_mail' are not among the tools; the tools are: get_weather, send_email/,
      );
    });

    it('an unknown guard option is a WardenConfigError', () => {
      const { toolSet } = existingTools();
      expect(() =>
        // @ts-expect-error — execute is the tool's own, not a guard option
        fromAiSdkTools(toolSet, { get_weather: { execute: () => 1 } }),
      ).toThrow(/fromAiSdkTools\(overrides\)\.get_weather\.execute: not a guard option/);
    });

    it('a bad guard value is reported by defineTool', () => {
      const { toolSet } = existingTools();
      // @ts-expect-error — not an effect
      expect(() => fromAiSdkTools(toolSet, { get_weather: { effect: 'delete' } })).toThrow(WardenConfigError);
    });

    it('a tool without execute or a provider tool cannot be guarded', () => {
      expect(() =>
        fromAiSdkTools({ ui_only: tool({ inputSchema: z.object({}), outputSchema: z.string() }) }),
      ).toThrow(/ui_only\.execute: the tool has no execute function/);
      const providerTool = {
        type: 'provider' as const,
        id: 'openai.web_search' as const,
        args: {},
        inputSchema: z.object({}),
        outputSchema: z.string(),
        isProviderExecuted: true as const,
      };
      expect(() => fromAiSdkTools({ web_search: providerTool })).toThrow(/web_search\.type: provider tools/);
    });

    it('a tool set that is not an object is a WardenConfigError', () => {
      expect(() => fromAiSdkTools(null as never)).toThrow(WardenConfigError);
    });
  });
});
