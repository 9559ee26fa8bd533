import { defineTool, RunStop, type ToolContext, type ToolOutcome, type WardenOptions } from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { expectFailedSpan, expectStopped, never, setup } from '../warden/helpers.js';

/** A write tool whose `execute` is a spy. */
function transferTool(execute = vi.fn(async (_args: unknown, _ctx: ToolContext) => ({ transferId: 't1' }))) {
  const tool = defineTool({
    name: 'transfer_funds',
    description: 'Move money between two accounts',
    input: z.object({ from: z.string(), to: z.string(), amount: z.number().positive() }),
    output: z.object({ transferId: z.string() }),
    execute,
  });
  return { tool, execute };
}

function searchTool() {
  const execute = vi.fn(async (args: { q: string }) => ({ hits: [args.q] }));
  const tool = defineTool({
    name: 'search_docs',
    description: 'Search the docs',
    input: z.object({ q: z.string() }),
    effect: 'read',
    execute,
  });
  return { tool, execute };
}

/** Run one tool call in a fresh run and return its outcome plus the run result. */
async function callOnce(
  options: Omit<WardenOptions, 'audit' | 'telemetry'>,
  name: string,
  rawArgs: unknown,
  runOptions: Parameters<ReturnType<typeof setup>['warden']['run']>[0] = {},
) {
  const t = setup(options);
  let outcome: ToolOutcome | undefined;
  const result = await t.warden.run(runOptions, async (run) => {
    outcome = await run.tool(name, rawArgs, { callId: 'call_1' });
    return 'done';
  });
  return { ...t, outcome: outcome!, result };
}

/** The call failed with `code`: outcome, span and audit all say so, and the run went on. */
function expectOutcome(t: Awaited<ReturnType<typeof callOnce>>, code: string, spanName: string) {
  expect(t.outcome.ok).toBe(false);
  if (t.outcome.ok) return;
  expect(t.outcome.error.code).toBe(code);
  expect(t.outcome.callId).toBe('call_1');
  expect(JSON.parse(t.outcome.forModel())).toEqual({
    error: { code, message: t.outcome.error.message, retryable: t.outcome.error.retryable },
  });
  expectFailedSpan(t.span(spanName), code);
  expect(t.span(spanName).attributes['warden.tool.outcome']).toBe(code);
  const calls = t.events('tool_call');
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({ outcome: code, callId: 'call_1', runId: t.result.runId });
  expect(t.result.status).toBe('completed');
}

describe('allowlist → tool_not_allowed', () => {
  it('denies a tool that is not registered, without executing anything', async () => {
    const { tool, execute } = transferTool();
    const t = await callOnce({ tools: [tool] }, 'delete_everything', { from: 'a', to: 'b', amount: 1 });
    expectOutcome(t, 'tool_not_allowed', 'execute_tool delete_everything');
    expect(execute).not.toHaveBeenCalled();
    if (!t.outcome.ok) expect(t.outcome.error.message).toContain('transfer_funds');
    // Denied calls do not count against the tool-call budget.
    expect(t.result.usage.toolCalls).toBe(0);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'denies the inherited name %s (own-property lookup only)',
    async (name) => {
      const { tool, execute } = transferTool();
      const t = await callOnce({ tools: [tool] }, name, '{}');
      expectOutcome(t, 'tool_not_allowed', `execute_tool ${name}`);
      expect(execute).not.toHaveBeenCalled();
    },
  );

  it('denies a 10 kB name and keeps it out of span names and audit', async () => {
    const { tool, execute } = transferTool();
    const name = 'x'.repeat(10_240);
    const t = await callOnce({ tools: [tool] }, name, '{}');
    expectOutcome(t, 'tool_not_allowed', 'execute_tool');
    expect(execute).not.toHaveBeenCalled();
    expect(String(t.events('tool_call')[0]!.tool).length).toBeLessThanOrEqual(64);
    if (!t.outcome.ok) expect(t.outcome.error.message.length).toBeLessThan(500);
  });

  it.each<[string, unknown]>([
    ['a number', 42],
    ['undefined', undefined],
    ['an object that stringifies to a tool name', { toString: () => 'transfer_funds' }],
    ['an object without a prototype (String() throws)', Object.create(null)],
    ['a symbol', Symbol('transfer_funds')],
  ])('denies %s as a name, without throwing', async (_label, name) => {
    const { tool, execute } = transferTool();
    const t = await callOnce({ tools: [tool] }, name as string, { from: 'a', to: 'b', amount: 1 });
    expectOutcome(t, 'tool_not_allowed', 'execute_tool');
    expect(execute).not.toHaveBeenCalled();
  });

  it("denies a registered tool outside the run's tools narrowing", async () => {
    const transfer = transferTool();
    const search = searchTool();
    const t = await callOnce(
      { tools: [transfer.tool, search.tool] },
      'transfer_funds',
      { from: 'a', to: 'b', amount: 1 },
      { tools: ['search_docs'] },
    );
    expectOutcome(t, 'tool_not_allowed', 'execute_tool transfer_funds');
    expect(transfer.execute).not.toHaveBeenCalled();
    if (!t.outcome.ok) {
      expect(t.outcome.error.message).toContain('search_docs');
      expect(t.outcome.error.message).not.toContain('transfer_funds,');
    }
  });

  it('allows the narrowed tool itself', async () => {
    const search = searchTool();
    const t = await callOnce(
      { tools: [search.tool] },
      'search_docs',
      { q: 'refund' },
      { tools: ['search_docs'] },
    );
    expect(t.outcome.ok).toBe(true);
    expect(search.execute).toHaveBeenCalledTimes(1);
  });
});

describe('arguments → invalid_arguments', () => {
  const cyclic: Record<string, unknown> = { from: 'a', to: 'b', amount: 1 };
  cyclic.self = cyclic;
  const cases: Array<[string, unknown]> = [
    ['not JSON', '{"from": "a",'],
    ['a JSON array', '[{"from":"a","to":"b","amount":1}]'],
    ['JSON null', 'null'],
    ['a JSON number', '42'],
    ['a JSON string', '"hello"'],
    ['a number', 42],
    ['null', null],
    ['an array', [1, 2]],
    ['a boolean', true],
    ['a cyclic object', cyclic],
    ['an object with a BigInt', { from: 'a', to: 'b', amount: 10n }],
    ['a JSON string over maxArgumentBytes', JSON.stringify({ from: 'a'.repeat(200), to: 'b', amount: 1 })],
    ['an object over maxArgumentBytes', { from: 'a'.repeat(200), to: 'b', amount: 1 }],
    [
      'a multi-byte string over maxArgumentBytes',
      JSON.stringify({ from: 'é'.repeat(70), to: 'b', amount: 1 }),
    ],
  ];

  it.each(cases)('refuses %s without executing or crashing', async (_label, raw) => {
    const { tool, execute } = transferTool();
    const t = await callOnce({ tools: [tool], limits: { maxArgumentBytes: 128 } }, 'transfer_funds', raw);
    expectOutcome(t, 'invalid_arguments', 'execute_tool transfer_funds');
    expect(execute).not.toHaveBeenCalled();
    if (!t.outcome.ok) expect(t.outcome.error.message).toMatch(/call again/);
  });

  it.each(cases)('refuses %s even when the input schema would accept anything', async (_label, raw) => {
    const execute = vi.fn(() => 'ran');
    const tool = defineTool({ name: 'anything', description: 'Any input', input: z.unknown(), execute });
    const t = await callOnce({ tools: [tool], limits: { maxArgumentBytes: 128 } }, 'anything', raw);
    expectOutcome(t, 'invalid_arguments', 'execute_tool anything');
    expect(execute).not.toHaveBeenCalled();
  });

  it.each<[string, unknown]>([
    ['a cyclic object', cyclic],
    ['an object with a BigInt', { from: 'a', to: 'b', amount: 10n }],
    ['a BigInt deep inside', { from: 'a', to: 'b', amount: 1, meta: { a: [{ b: { c: 1n } }] } }],
  ])(
    'refuses %s under the default maxArgumentBytes too (no size shortcut lets it through)',
    async (_label, raw) => {
      const execute = vi.fn(() => 'ran');
      const tool = defineTool({ name: 'anything', description: 'Any input', input: z.unknown(), execute });
      const t = await callOnce({ tools: [tool] }, 'anything', raw);
      expectOutcome(t, 'invalid_arguments', 'execute_tool anything');
      expect(execute).not.toHaveBeenCalled();
      if (!t.outcome.ok) expect(t.outcome.error.message).toMatch(/cannot be serialised as JSON/);
    },
  );

  it('measures an object argument exactly: at maxArgumentBytes it runs, one byte over it does not', async () => {
    const { tool, execute } = transferTool();
    const base = JSON.stringify({ from: '', to: 'b', amount: 1 });
    const room = 128 - base.length;
    const at = { from: 'é'.repeat(Math.floor(room / 2)) + 'a'.repeat(room % 2), to: 'b', amount: 1 };
    expect(Buffer.byteLength(JSON.stringify(at))).toBe(128);
    const ok = await callOnce({ tools: [tool], limits: { maxArgumentBytes: 128 } }, 'transfer_funds', at);
    expect(ok.outcome.ok).toBe(true);
    const over = { ...at, from: `${at.from}a` };
    const refused = await callOnce(
      { tools: [tool], limits: { maxArgumentBytes: 128 } },
      'transfer_funds',
      over,
    );
    expectOutcome(refused, 'invalid_arguments', 'execute_tool transfer_funds');
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('accepts arguments exactly at maxArgumentBytes', async () => {
    const { tool, execute } = transferTool();
    const base = JSON.stringify({ from: '', to: 'b', amount: 1 });
    const raw = JSON.stringify({ from: 'a'.repeat(128 - base.length), to: 'b', amount: 1 });
    expect(Buffer.byteLength(raw)).toBe(128);
    const t = await callOnce({ tools: [tool], limits: { maxArgumentBytes: 128 } }, 'transfer_funds', raw);
    expect(t.outcome.ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('reports schema failures with paths and tells the model to fix the arguments', async () => {
    const execute = vi.fn(async () => 'ok');
    const tool = defineTool({
      name: 'place_order',
      description: 'Order items',
      input: z.object({
        customer: z.string(),
        items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
      }),
      execute,
    });
    const t = await callOnce({ tools: [tool] }, 'place_order', {
      customer: 7,
      items: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: -2 },
      ],
    });
    expectOutcome(t, 'invalid_arguments', 'execute_tool place_order');
    expect(execute).not.toHaveBeenCalled();
    if (t.outcome.ok) return;
    const issues = t.outcome.error.details?.issues as Array<{
      path: Array<string | number>;
      message: string;
    }>;
    expect(issues.map((i) => i.path)).toEqual([['customer'], ['items', 1, 'qty']]);
    expect(t.outcome.error.message).toContain('customer:');
    expect(t.outcome.error.message).toContain('items.1.qty:');
    expect(t.outcome.error.message).toContain('fix the arguments and call again');
    expect(t.outcome.error.retryable).toBe(false);
  });

  it('validates a JSON string the same way as an object', async () => {
    const { tool, execute } = transferTool();
    const t = await callOnce({ tools: [tool] }, 'transfer_funds', '{"from":"a","to":"b","amount":0}');
    expectOutcome(t, 'invalid_arguments', 'execute_tool transfer_funds');
    expect(execute).not.toHaveBeenCalled();
    if (!t.outcome.ok)
      expect(t.outcome.error.details?.issues).toEqual([{ path: ['amount'], message: expect.any(String) }]);
  });
});

describe('rules → rule_violation', () => {
  type Args = { from: string; to: string; amount: number };
  const ok = { from: 'a', to: 'b', amount: 5 };
  const ruleCases: Array<[string, (a: Args) => unknown, string[]]> = [
    ['a string', () => 'from and to must differ', ['from and to must differ']],
    ['false', () => false, ['rule 1 failed']],
    [
      '{ path, message }',
      () => ({ path: ['amount'], message: 'over the daily limit' }),
      ['amount: over the daily limit'],
    ],
    [
      'an array',
      () => ['first problem', { path: ['to'], message: 'unknown account' }],
      ['first problem', 'to: unknown account'],
    ],
    ['a promise of a string', async () => 'checked asynchronously', ['checked asynchronously']],
    ['undefined (a rule that forgot to return)', () => undefined, ['rule 1 failed']],
  ];

  it.each(ruleCases)('a rule returning %s blocks the call', async (_label, rule, texts) => {
    const execute = vi.fn(async () => ({ transferId: 't1' }));
    const tool = defineTool({
      name: 'transfer_funds',
      description: 'Move money',
      input: z.object({ from: z.string(), to: z.string(), amount: z.number() }),
      rules: [rule as (a: Args) => boolean],
      execute,
    });
    const t = await callOnce({ tools: [tool] }, 'transfer_funds', ok);
    expectOutcome(t, 'rule_violation', 'execute_tool transfer_funds');
    expect(execute).not.toHaveBeenCalled();
    if (t.outcome.ok) return;
    for (const text of texts) expect(t.outcome.error.message).toContain(text);
    expect(t.outcome.error.message).toContain('do not repeat the same call');
  });

  it('runs rules in order after the schema, with the parsed args and the call context', async () => {
    const seen: unknown[] = [];
    const execute = vi.fn(async () => 'sent');
    const tool = defineTool({
      name: 'transfer_funds',
      description: 'Move money',
      input: z.object({ from: z.string(), to: z.string(), amount: z.coerce.number() }),
      rules: [
        (a, ctx) => {
          seen.push(['first', a, ctx.callId, ctx.userId, ctx.toolName]);
          return true;
        },
        async (a) => {
          seen.push(['second', a.amount]);
          return a.from !== a.to || 'from and to must differ';
        },
      ],
      execute,
    });
    const passing = await callOnce(
      { tools: [tool] },
      'transfer_funds',
      { from: 'a', to: 'b', amount: '5' },
      { userId: 'u1' },
    );
    expect(passing.outcome.ok).toBe(true);
    expect(seen).toEqual([
      ['first', { from: 'a', to: 'b', amount: 5 }, 'call_1', 'u1', 'transfer_funds'],
      ['second', 5],
    ]);
    const failing = await callOnce({ tools: [tool] }, 'transfer_funds', { from: 'a', to: 'a', amount: 5 });
    expectOutcome(failing, 'rule_violation', 'execute_tool transfer_funds');
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('a rule that throws fails closed with tool_error and does not execute', async () => {
    const execute = vi.fn(async () => 'sent');
    const later = vi.fn(() => true);
    const tool = defineTool({
      name: 'transfer_funds',
      description: 'Move money',
      input: z.object({ amount: z.number() }),
      rules: [
        () => {
          throw new Error('limits service down');
        },
        later,
      ],
      execute,
    });
    const t = await callOnce({ tools: [tool] }, 'transfer_funds', { amount: 1 });
    expectOutcome(t, 'tool_error', 'execute_tool transfer_funds');
    expect(execute).not.toHaveBeenCalled();
    expect(later).not.toHaveBeenCalled();
    if (!t.outcome.ok) expect(t.outcome.error.message).not.toContain('limits service down');
  });
});

describe('execute → tool_error / tool_timeout', () => {
  it('an execute that throws gives tool_error with the message, executed once (write tools never retry)', async () => {
    const execute = vi.fn(async () => {
      throw new Error('payments API said no');
    });
    const { tool } = transferTool(execute);
    const t = await callOnce({ tools: [tool] }, 'transfer_funds', { from: 'a', to: 'b', amount: 1 });
    expectOutcome(t, 'tool_error', 'execute_tool transfer_funds');
    expect(execute).toHaveBeenCalledTimes(1);
    if (!t.outcome.ok) expect(t.outcome.error.message).toContain('payments API said no');
    expect(t.span('execute_tool transfer_funds').events.some((e) => e.name === 'exception')).toBe(true);
  });

  it.each([
    ['a string', 'plain string'],
    ['undefined', undefined],
    ['null', null],
    ['a number', 404],
    ['a symbol', Symbol('boom')],
    [
      'an object with a throwing getter',
      Object.defineProperty({}, 'message', {
        get: () => {
          throw new Error('x');
        },
      }),
    ],
  ])('execute throwing %s gives tool_error, never a throw from run.tool', async (_label, thrown) => {
    const execute = vi.fn(() => {
      throw thrown;
    });
    const { tool } = transferTool(execute as never);
    const t = await callOnce({ tools: [tool] }, 'transfer_funds', { from: 'a', to: 'b', amount: 1 });
    expectOutcome(t, 'tool_error', 'execute_tool transfer_funds');
  });

  it('an execute that rejects with a non-Error gives tool_error', async () => {
    const execute = vi.fn(() => Promise.reject('nope'));
    const { tool } = transferTool(execute as never);
    const t = await callOnce({ tools: [tool] }, 'transfer_funds', { from: 'a', to: 'b', amount: 1 });
    expectOutcome(t, 'tool_error', 'execute_tool transfer_funds');
    if (!t.outcome.ok) expect(t.outcome.error.message).toContain('nope');
  });

  it('an execute that hangs times out with tool_timeout and its signal is aborted', async () => {
    let signal: AbortSignal | undefined;
    const execute = vi.fn((_args: unknown, ctx: ToolContext) => {
      signal = ctx.signal;
      return never();
    });
    const tool = defineTool({
      name: 'slow_api',
      description: 'Never answers',
      input: z.object({}),
      timeoutMs: 50,
      execute,
    });
    const started = Date.now();
    const t = await callOnce({ tools: [tool] }, 'slow_api', {});
    expect(Date.now() - started).toBeLessThan(2_000);
    expectOutcome(t, 'tool_timeout', 'execute_tool slow_api');
    expect(execute).toHaveBeenCalledTimes(1);
    expect(signal?.aborted).toBe(true);
    if (!t.outcome.ok) {
      // A write tool (the default effect) that timed out may have taken effect: the model must not retry.
      expect(t.outcome.error.retryable).toBe(false);
      expect(t.outcome.error.details).toMatchObject({ timeoutMs: 50, indeterminate: true });
      expect(t.outcome.error.message).toMatch(/may already have taken effect/);
    }
  });

  it('a read tool that times out is retryable', async () => {
    const execute = vi.fn(() => never());
    const tool = defineTool({
      name: 'slow_read',
      description: 'Never answers',
      input: z.object({}),
      effect: 'read',
      retry: { retries: 0 },
      timeoutMs: 30,
      execute,
    });
    const t = await callOnce({ tools: [tool] }, 'slow_read', {});
    expectOutcome(t, 'tool_timeout', 'execute_tool slow_read');
    if (!t.outcome.ok) expect(t.outcome.error.retryable).toBe(true);
  });
});

describe('output schema → invalid_output', () => {
  it('a result that does not match the output schema is not handed to the model', async () => {
    const execute = vi.fn(async () => ({ transferId: 42, secret: 'internal' }));
    const { tool } = transferTool(execute as never);
    const t = await callOnce({ tools: [tool] }, 'transfer_funds', { from: 'a', to: 'b', amount: 1 });
    expectOutcome(t, 'invalid_output', 'execute_tool transfer_funds');
    expect(execute).toHaveBeenCalledTimes(1);
    if (t.outcome.ok) return;
    expect(t.outcome.forModel()).not.toContain('internal');
    expect(t.outcome.error.details?.issues).toEqual([{ path: ['transferId'], message: expect.any(String) }]);
  });

  it('a matching result is returned parsed (unknown keys stripped by the schema)', async () => {
    const execute = vi.fn(async () => ({ transferId: 't9', secret: 'internal' }));
    const { tool } = transferTool(execute as never);
    const t = await callOnce({ tools: [tool] }, 'transfer_funds', { from: 'a', to: 'b', amount: 1 });
    expect(t.outcome).toMatchObject({
      ok: true,
      value: { transferId: 't9' },
      replayed: false,
      callId: 'call_1',
    });
    expect(t.outcome.forModel()).toBe('{"transferId":"t9"}');
  });
});

describe('ok outcome', () => {
  it('forModel() is compact JSON of the value, or the string itself', async () => {
    const search = searchTool();
    const t = await callOnce({ tools: [search.tool] }, 'search_docs', '{"q":"refund policy"}');
    expect(t.outcome).toMatchObject({ ok: true, value: { hits: ['refund policy'] }, replayed: false });
    expect(t.outcome.forModel()).toBe('{"hits":["refund policy"]}');
    const span = t.span('execute_tool search_docs');
    expect(span.status.code).toBe(1);
    expect(span.attributes['warden.tool.outcome']).toBe('ok');
    expect(t.events('tool_call')[0]).toMatchObject({ outcome: 'ok', tool: 'search_docs', effect: 'read' });

    const text = defineTool({
      name: 'echo',
      description: 'Echo',
      input: z.object({ s: z.string() }),
      execute: (a) => a.s,
    });
    const t2 = await callOnce({ tools: [text] }, 'echo', { s: 'hello "world"' });
    expect(t2.outcome.forModel()).toBe('hello "world"');
    const nothing = defineTool({
      name: 'noop',
      description: 'Nothing',
      input: z.object({}),
      execute: () => undefined,
    });
    const t3 = await callOnce({ tools: [nothing] }, 'noop', '');
    expect(t3.outcome.forModel()).toBe('null');
    // No arguments at all (undefined or blank JSON text) mean an empty object.
    const t4 = await callOnce({ tools: [nothing] }, 'noop', undefined);
    expect(t4.outcome.ok).toBe(true);
  });
});

describe('tool-call budget → RunStop', () => {
  it('stops the run at the budget; the extra call never executes', async () => {
    const search = searchTool();
    const t = setup({ tools: [search.tool], budgets: { run: { toolCalls: 2 } } });
    const thrown: unknown[] = [];
    const result = await t.warden.run({}, async (run) => {
      await run.tool('search_docs', { q: '1' });
      await run.tool('search_docs', { q: '2' });
      try {
        await run.tool('search_docs', { q: '3' }, { callId: 'call_3' });
      } catch (error) {
        thrown.push(error);
        throw error;
      }
      return 'unreachable';
    });
    expect(search.execute).toHaveBeenCalledTimes(2);
    expect(thrown).toHaveLength(1);
    expect(RunStop.isInstance(thrown[0])).toBe(true);
    expect(result.status).toBe('stopped');
    if (result.status !== 'stopped') return;
    expect(result.stop).toMatchObject({
      code: 'budget_exceeded',
      dimension: 'toolCalls',
      scope: 'run',
      limit: 2,
      used: 2,
    });
    expect(result.usage.toolCalls).toBe(2);
    const blocked = t.tracing
      .byName('execute_tool search_docs')
      .find((s) => s.attributes['gen_ai.tool.call.id'] === 'call_3');
    expectFailedSpan(blocked!, 'budget_exceeded');
    expectFailedSpan(t.span('invoke_agent agent'), 'budget_exceeded');
    expect(t.events('budget_exceeded')).toEqual([
      expect.objectContaining({ dimension: 'toolCalls', scope: 'run', limit: 2, used: 2 }),
    ]);
    expect(t.events('tool_call').at(-1)).toMatchObject({ callId: 'call_3', outcome: 'budget_exceeded' });
  });

  it('a tool budget of 0 blocks the first call', async () => {
    const search = searchTool();
    const t = setup({ tools: [search.tool], budgets: { run: { toolCalls: 0 } } });
    const result = await t.warden.run({}, (run) => run.tool('search_docs', { q: '1' }));
    expect(search.execute).not.toHaveBeenCalled();
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'toolCalls' });
  });

  it('every call after a stop throws the same RunStop and executes nothing', async () => {
    const search = searchTool();
    const t = setup({ tools: [search.tool], budgets: { run: { toolCalls: 1 } } });
    const stops: unknown[] = [];
    await t.warden.run({}, async (run) => {
      await run.tool('search_docs', { q: '1' });
      for (const name of ['search_docs', 'unknown_tool']) {
        try {
          await run.tool(name, { q: '2' });
        } catch (error) {
          stops.push(error);
        }
      }
    });
    expect(search.execute).toHaveBeenCalledTimes(1);
    expect(stops).toHaveLength(2);
    expect(stops[0]).toBe(stops[1]);
  });
});

describe('ToolContext', () => {
  it('reaches execute with the run identity, call id (explicit and generated), attempt 1 and a live signal', async () => {
    const contexts: ToolContext[] = [];
    const aborted: boolean[] = [];
    const tool = defineTool({
      name: 'inspect',
      description: 'Record the context',
      input: z.object({}),
      effect: 'read',
      execute: (_a, ctx) => {
        contexts.push(ctx);
        aborted.push(ctx.signal.aborted);
        return 'ok';
      },
    });
    let n = 0;
    const t = setup({ tools: [tool], generateId: () => `id-${++n}` });
    const result = await t.warden.run({ userId: 'u1', tenantId: 't1', sessionId: 's1' }, async (run) => {
      await run.tool('inspect', {}, { callId: 'call_explicit' });
      await run.tool('inspect', {});
      return run.id;
    });
    expect(result.status).toBe('completed');
    expect(contexts).toHaveLength(2);
    const [explicit, generated] = contexts as [ToolContext, ToolContext];
    expect(explicit).toMatchObject({
      runId: result.runId,
      callId: 'call_explicit',
      toolName: 'inspect',
      userId: 'u1',
      tenantId: 't1',
      sessionId: 's1',
      attempt: 1,
    });
    expect(explicit.signal).toBeInstanceOf(AbortSignal);
    expect(aborted).toEqual([false, false]);
    expect(generated.callId).toMatch(/^id-\d+$/);
    expect(generated.callId).not.toBe(result.runId);
    expect(generated).toMatchObject({
      runId: result.runId,
      userId: 'u1',
      tenantId: 't1',
      sessionId: 's1',
      attempt: 1,
    });
    expect(t.events('tool_call').map((e) => e.callId)).toEqual(['call_explicit', generated.callId]);
  });
});
