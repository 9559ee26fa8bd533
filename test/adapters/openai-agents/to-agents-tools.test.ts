import { Agent, RunContext, run as runAgent, type Tool } from '@openai/agents';
import { ScriptedModel } from '@openai/agents/testing';
import { createWarden, defineTool, WardenConfigError, WardenError } from 'agent-warden';
import { type GuardedAgentsTool, toAgentsTools } from 'agent-warden/openai-agents';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { callTurn, MODEL, runInside, scriptedAgent, setup, textTurn, toolResultsSeen } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function fixture(options: Parameters<typeof setup>[0] = {}) {
  const s = setup(options);
  closers.push(
    () => s.warden.close(),
    () => s.tracing.shutdown(),
  );
  return s;
}

describe('toAgentsTools', () => {
  it('runs each SDK tool call through the guard pipeline, under an execute_tool span of the run', async () => {
    const { warden, tracing, execute } = fixture();
    const { model, agent } = scriptedAgent(warden, [
      callTurn([['search_docs', { query: 'refund policy' }, 'call_1']]),
      textTurn('Refunds take 5 days.'),
    ]);

    const result = await warden.run({ userId: 'u1' }, (run) => runInside(run, agent));

    expect(result.status).toBe('completed');
    expect(result.status === 'completed' && result.output).toBe('Refunds take 5 days.');
    expect(execute.search).toHaveBeenCalledTimes(1);
    expect(execute.search.mock.calls[0]![0]).toEqual({ query: 'refund policy' });
    expect(result.usage).toMatchObject({ steps: 2, toolCalls: 1, inputTokens: 220, outputTokens: 30 });
    expect(toolResultsSeen(model)).toEqual({
      call_1: JSON.stringify({ hits: ['refund policy #1'], limit: 3 }),
    });

    const runSpan = tracing.one('invoke_agent agents-test');
    const toolSpan = tracing.one('execute_tool search_docs');
    expect(tracing.parentOf(toolSpan)).toBe(runSpan.spanContext().spanId);
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.name': 'search_docs',
      'warden.tool.outcome': 'ok',
    });
    expect(tracing.byName(`chat ${MODEL}`)).toHaveLength(2);
  });

  it('offers the tools with their names, descriptions and a strict JSON Schema (optional → nullable)', async () => {
    const { warden } = fixture();
    const [search] = toAgentsTools(warden, { tools: ['search_docs'] });
    expect(search).toMatchObject({
      type: 'function',
      name: 'search_docs',
      description: 'Search the help center',
    });
    expect(search!.strict).toBe(true);
    expect(search!.needsApproval).toBeTypeOf('function');
    expect(await search!.needsApproval(new RunContext(), { query: 'x' })).toBe(false);
    expect(search!.parameters).toMatchObject({
      type: 'object',
      required: ['query', 'limit'],
      additionalProperties: false,
      properties: { limit: { anyOf: [{ type: 'integer' }, { type: 'null' }] } },
    });
  });

  it('hands the warden the arguments without the nulls strict mode made the model send', async () => {
    const { warden, execute } = fixture();
    const { agent } = scriptedAgent(warden, [
      callTurn([['search_docs', { query: 'shipping', limit: null }, 'call_1']]),
      textTurn('ok'),
    ]);
    const result = await warden.run({}, (run) => runInside(run, agent));
    expect(result.status).toBe('completed');
    expect(execute.search.mock.calls[0]![0]).toEqual({ query: 'shipping' });
  });

  it("refuses a tool outside the run's narrowing: never executed, the model reads the forModel() text", async () => {
    const { warden, tracing, execute } = fixture();
    const { model, agent } = scriptedAgent(warden, [
      callTurn([['refund_order', { orderId: 'o1', amount: 20 }, 'call_r']]),
      textTurn('I cannot refund that.'),
    ]);

    const result = await warden.run({ tools: ['search_docs'] }, (run) => runInside(run, agent));

    expect(result.status).toBe('completed');
    expect(execute.refund).not.toHaveBeenCalled();
    const seen = JSON.parse(toolResultsSeen(model).call_r!);
    expect(seen.error.code).toBe('tool_not_allowed');
    expect(seen.error.message).toMatch(/refund_order/);
    expect(tracing.one('execute_tool refund_order').attributes['warden.tool.outcome']).toBe(
      'tool_not_allowed',
    );
  });

  it('refuses a tool the running warden does not register (deny by default)', async () => {
    const { warden: full, execute } = fixture();
    const narrow = createWarden({
      agent: { name: 'narrow' },
      tools: [full.tools[0]], // search_docs only
    });
    closers.push(() => narrow.close());
    // The agent was given every tool of the other warden; the run belongs to `narrow`.
    const { model, agent } = scriptedAgent(
      narrow,
      [callTurn([['refund_order', { orderId: 'o1', amount: 20 }, 'call_r']]), textTurn('Sorry.')],
      { tools: toAgentsTools(full) },
    );

    const result = await narrow.run({}, (run) => runInside(run, agent));

    expect(result.status).toBe('completed');
    expect(execute.refund).not.toHaveBeenCalled();
    expect(JSON.parse(toolResultsSeen(model).call_r!).error.code).toBe('tool_not_allowed');
  });

  it('returns invalid arguments and rule violations to the model as tool results', async () => {
    const { warden, execute } = fixture();
    const { model, agent } = scriptedAgent(warden, [
      callTurn([
        ['search_docs', { query: 'x', limit: null }, 'call_short'],
        ['refund_order', { orderId: 'o1', amount: 'lots' }, 'call_type'],
      ]),
      callTurn([['refund_order', { orderId: 'o1', amount: 500 }, 'call_rule']]),
      textTurn('Let me get a human.'),
    ]);

    const result = await warden.run({}, (run) => runInside(run, agent));

    expect(result.status).toBe('completed');
    expect(execute.search).not.toHaveBeenCalled();
    expect(execute.refund).not.toHaveBeenCalled();
    const seen = toolResultsSeen(model);
    expect(JSON.parse(seen.call_short!).error).toMatchObject({ code: 'invalid_arguments' });
    expect(JSON.parse(seen.call_short!).error.message).toMatch(/query: at least 2 characters/);
    expect(JSON.parse(seen.call_type!).error.code).toBe('invalid_arguments');
    expect(JSON.parse(seen.call_rule!).error).toMatchObject({ code: 'rule_violation' });
    expect(JSON.parse(seen.call_rule!).error.message).toMatch(/refunds over \$100 need a human/);
  });

  it('does not execute an approval-gated tool: the model is told it needs a human, the run lists the pending approval', async () => {
    const { warden, tracing, execute } = fixture();
    const { model, agent } = scriptedAgent(warden, [
      callTurn([['send_email', { to: 'a@example.com', body: 'hi' }, 'call_mail']]),
      textTurn('I asked a human to approve the email.'),
    ]);

    const result = await warden.run({ userId: 'u1' }, (run) => runInside(run, agent));

    expect(result.status).toBe('completed');
    expect(execute.email).not.toHaveBeenCalled();
    expect(JSON.parse(toolResultsSeen(model).call_mail!).error.code).toBe('approval_required');
    expect(result.pending).toHaveLength(1);
    expect(result.pending[0]).toMatchObject({
      tool: 'send_email',
      args: { to: 'a@example.com', body: 'hi' },
    });
    expect(tracing.one('execute_tool send_email').attributes['warden.tool.outcome']).toBe(
      'approval_required',
    );
  });

  it('a tool-call budget stop ends the SDK run: no more model calls, warden.run returns stopped', async () => {
    const { warden, execute } = fixture({ budgets: { run: { toolCalls: 1 } } });
    const { model, agent } = scriptedAgent(warden, [
      callTurn([['search_docs', { query: 'first' }, 'call_1']]),
      callTurn([['search_docs', { query: 'second' }, 'call_2']]),
      textTurn('never reached'),
    ]);

    const result = await warden.run({}, (run) => runInside(run, agent));

    expect(result.status).toBe('stopped');
    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'budget_exceeded',
      dimension: 'toolCalls',
      scope: 'run',
      limit: 1,
    });
    expect(execute.search).toHaveBeenCalledTimes(1);
    expect(model.calls).toHaveLength(2);
    expect(model.remainingSteps).toBe(1);
  });

  it('a RunStop from a tool ends the SDK run by itself: no run.signal, no wardenModel (the SDK does not swallow it)', async () => {
    const { warden, execute } = fixture({ budgets: { run: { toolCalls: 1 } } });
    const model = new ScriptedModel([
      callTurn([['search_docs', { query: 'first' }, 'call_1']]),
      callTurn([['search_docs', { query: 'second' }, 'call_2']]),
      textTurn('never reached'),
    ]);
    const agent = new Agent({ name: 'bare', model, tools: toAgentsTools(warden) });

    const result = await warden.run(
      {},
      async () => (await runAgent(agent, 'Hello', { maxTurns: 10 })).finalOutput,
    );

    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'budget_exceeded',
      dimension: 'toolCalls',
    });
    expect(execute.search).toHaveBeenCalledTimes(1);
    expect(model.calls).toHaveLength(2);
  });

  it('a stop is reported as stopped even when the app catches the SDK error', async () => {
    const { warden } = fixture({ budgets: { run: { toolCalls: 0 } } });
    const { model, agent } = scriptedAgent(warden, [
      callTurn([['search_docs', { query: 'first' }, 'call_1']]),
      textTurn('never reached'),
    ]);
    const result = await warden.run({}, async (run) => {
      try {
        return await runInside(run, agent);
      } catch {
        return 'swallowed';
      }
    });
    expect(result.status).toBe('stopped');
    expect(result.status === 'stopped' && result.stop.code).toBe('budget_exceeded');
    expect(model.calls).toHaveLength(1);
  });

  it('loop detection stops a model that repeats the same call', async () => {
    const { warden, execute } = fixture({ loops: { maxRepeats: 2 } });
    const same = (id: string) => callTurn([['search_docs', { query: 'same thing' }, id]]);
    const { model, agent } = scriptedAgent(warden, [
      same('c1'),
      same('c2'),
      same('c3'),
      same('c4'),
      same('c5'),
    ]);

    const result = await warden.run({}, (run) => runInside(run, agent));

    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'loop_detected',
      tool: 'search_docs',
    });
    expect(model.remainingSteps).toBeGreaterThan(0);
    expect(execute.search.mock.calls.length).toBeLessThan(model.calls.length);
  });

  it('a kill during the SDK run stops it at the next guard', async () => {
    const { warden, execute } = fixture();
    const { model, agent } = scriptedAgent(warden, [
      callTurn([['search_docs', { query: 'first' }, 'call_1']]),
      textTurn('never reached'),
    ]);
    execute.search.mockImplementationOnce(async () => {
      await warden.kill('global', { reason: 'incident' });
      return { hits: [], limit: 3 };
    });
    const result = await warden.run({}, (run) => runInside(run, agent));
    expect(result.status === 'stopped' && result.stop).toMatchObject({ code: 'killed', reason: 'incident' });
    expect(model.calls).toHaveLength(1);
    await warden.revive('global');
  });

  it('throws when a wrapped tool is called outside a run — it never runs unguarded', async () => {
    const { warden, execute } = fixture();
    const [search] = toAgentsTools(warden, { tools: ['search_docs'] });
    await expect(
      search!.invoke(new RunContext(), JSON.stringify({ query: 'x', limit: null })),
    ).rejects.toSatisfy((e) => WardenError.isInstance(e) && e.code === 'no_current_run');
    // An SDK run outside warden.run() fails the same way.
    const agent = new Agent({
      name: 'loose',
      model: new ScriptedModel([callTurn([['search_docs', { query: 'abc' }, 'call_1']]), textTurn('x')]),
      tools: [search!],
    });
    await expect(runAgent(agent, 'hi')).rejects.toThrow(/No current run/);
    expect(execute.search).not.toHaveBeenCalled();
  });

  it('rejects unknown tool names and non-object inputs with a WardenConfigError', () => {
    const { warden } = fixture();
    expect(() => toAgentsTools(warden, { tools: ['nope'] })).toThrow(WardenConfigError);
    expect(() => toAgentsTools(warden, { tools: ['nope'] })).toThrow(/'nope' is not a tool of this warden/);
    expect(() => toAgentsTools(warden, { strict: 'yes' as never })).toThrow(WardenConfigError);
    const scalar = createWarden({
      tools: [
        defineTool({
          name: 'echo',
          description: 'echo',
          input: z.string(),
          effect: 'read',
          execute: (s) => s,
        }),
      ],
    });
    closers.push(() => scalar.close());
    expect(() => toAgentsTools(scalar)).toThrow(/z\.object/);
  });

  it('falls back to non-strict for schemas strict mode cannot express, unless strict: true', () => {
    const open = createWarden({
      tools: [
        defineTool({
          name: 'tag',
          description: 'tag things',
          input: z.object({ labels: z.record(z.string(), z.number()) }),
          effect: 'read',
          execute: () => 'ok',
        }),
      ],
    });
    closers.push(() => open.close());
    const [tag] = toAgentsTools(open);
    expect(tag!.strict).toBe(false);
    expect(toAgentsTools(open, { strict: false })[0]!.strict).toBe(false);
    expect(() => toAgentsTools(open, { strict: true })).toThrow(/tool 'tag' cannot use strict mode/);
  });
});

describe('toAgentsTools results', () => {
  it('returns the value on success and forModel() text on a tool error', async () => {
    const failing = defineTool({
      name: 'flaky',
      description: 'fails',
      input: z.object({ id: z.string() }),
      effect: 'read',
      retry: { retries: 0 },
      execute: () => {
        throw new Error('backend down');
      },
    });
    const warden = createWarden({ agent: { name: 't' }, tools: [failing] });
    closers.push(() => warden.close());
    const { model, agent } = scriptedAgent(warden, [
      callTurn([['flaky', { id: '1' }, 'c1']]),
      textTurn('sorry'),
    ]);
    const result = await warden.run({}, (run) => runInside(run, agent));
    expect(result.status).toBe('completed');
    expect(JSON.parse(toolResultsSeen(model).c1!).error.code).toBe('tool_error');
  });
});

describe('toAgentsTools types', () => {
  // Checked by `tsc --noEmit` (expectTypeOf is a no-op at run time).
  it('fits an agent of any context type, inline or stored first', () => {
    const warden = createWarden({});
    closers.push(() => warden.close());
    const tools = toAgentsTools(warden);
    expectTypeOf(tools).toExtend<Tool<{ tenant: string }>[]>();
    expectTypeOf(toAgentsTools<{ tenant: string }>(warden)).toEqualTypeOf<
      GuardedAgentsTool<{ tenant: string }>[]
    >();
    const typed = new Agent<{ tenant: string }>({ name: 'typed', tools });
    expect(typed.tools).toHaveLength(0);
  });
});
