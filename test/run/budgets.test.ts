import { defineTool, type ModelSpec, RunStop } from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completion, expectFailedSpan, expectStopped, setup } from '../warden/helpers.js';

const gpt: ModelSpec = { provider: 'openai', model: 'gpt-test' };

/** A model call spy answering with the given usage. */
function modelReturning(inputTokens: number, outputTokens: number, cachedTokens = 0) {
  return vi.fn(async (_signal: AbortSignal) => completion(inputTokens, outputTokens, cachedTokens));
}

describe('steps budget', () => {
  it('the N+1th model call is not made', async () => {
    const t = setup({ budgets: { run: { steps: 2 } } });
    const call = modelReturning(10, 5);
    const result = await t.warden.run({}, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    expect(call).toHaveBeenCalledTimes(2);
    expectStopped(t, result, {
      code: 'budget_exceeded',
      dimension: 'steps',
      scope: 'run',
      limit: 2,
      used: 2,
    });
    expect(result.usage).toMatchObject({ steps: 2, inputTokens: 20, outputTokens: 10 });
    expect(t.span('invoke_agent agent').events.map((e) => e.name)).toContain('warden.budget_exceeded');
    // Two model spans, both fine: the blocked call never opened one.
    expect(t.tracing.byName('chat gpt-test')).toHaveLength(2);
    expect(t.events('model_call')).toHaveLength(2);
  });

  it('with NO budgets configured, a for(;;) model loop still ends (default 50 steps)', async () => {
    const t = setup();
    const call = modelReturning(1, 1);
    const result = await t.warden.run({}, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    expect(call).toHaveBeenCalledTimes(50);
    expectStopped(t, result, {
      code: 'budget_exceeded',
      dimension: 'steps',
      scope: 'run',
      limit: 50,
      used: 50,
    });
  });

  it('with NO budgets configured, a for(;;) tool loop still ends (default 200 tool calls)', async () => {
    const execute = vi.fn((a: { i: number }) => a.i);
    const tool = defineTool({
      name: 'count',
      description: 'Count',
      input: z.object({ i: z.number() }),
      effect: 'read',
      execute,
    });
    const t = setup({ tools: [tool] });
    const result = await t.warden.run({}, async (run) => {
      for (let i = 0; ; i++) await run.tool('count', { i });
    });
    expect(execute).toHaveBeenCalledTimes(200);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'toolCalls', limit: 200 });
  });

  it('a per-run budget tightens the warden budget', async () => {
    const t = setup({ budgets: { run: { steps: 5 } } });
    const call = modelReturning(1, 1);
    const result = await t.warden.run({ budgets: { steps: 1 } }, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    expect(call).toHaveBeenCalledTimes(1);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'steps', limit: 1 });
  });

  it('a looser per-run budget is ignored', async () => {
    const t = setup({ budgets: { run: { steps: 2, toolCalls: 1 } } });
    const call = modelReturning(1, 1);
    const result = await t.warden.run({ budgets: { steps: 100, toolCalls: 100 } }, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    expect(call).toHaveBeenCalledTimes(2);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'steps', limit: 2 });
  });
});

describe('token budget', () => {
  it('without an estimate, the call that crosses the limit completes and the next one is not made', async () => {
    const t = setup({ budgets: { run: { tokens: 1_000 } } });
    const call = modelReturning(600, 300);
    const result = await t.warden.run({}, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    // 900 < 1000 so call 2 goes ahead (overshoot of at most one call); 1800 >= 1000 blocks call 3.
    expect(call).toHaveBeenCalledTimes(2);
    expectStopped(t, result, {
      code: 'budget_exceeded',
      dimension: 'tokens',
      scope: 'run',
      limit: 1_000,
      used: 1_800,
    });
    expect(result.usage).toMatchObject({ inputTokens: 1_200, outputTokens: 600 });
    expect(t.events('budget_exceeded')).toHaveLength(1);
  });

  it('an estimate that would pass the limit stops BEFORE the call', async () => {
    const t = setup({ budgets: { run: { tokens: 1_000 } } });
    const call = modelReturning(600, 300);
    const result = await t.warden.run({}, async (run) => {
      await run.model(gpt, call);
      await run.model({ ...gpt, estimate: { inputTokens: 80, outputTokens: 40 } }, call);
      return 'unreachable';
    });
    expect(call).toHaveBeenCalledTimes(1);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'tokens', used: 900 });
    expect(t.tracing.byName('chat gpt-test')).toHaveLength(1);
  });

  it('an estimate that fits lets the call go ahead', async () => {
    const t = setup({ budgets: { run: { tokens: 1_000 } } });
    const call = modelReturning(600, 300);
    const result = await t.warden.run({}, async (run) => {
      await run.model(gpt, call);
      await run.model({ ...gpt, estimate: { inputTokens: 50, outputTokens: 50 } }, call);
      return 'two calls';
    });
    expect(call).toHaveBeenCalledTimes(2);
    expect(result.status).toBe('completed');
  });
});

describe('cost budget', () => {
  const pricing = { 'gpt-test': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 } };

  it('prices cached input separately and stops the next call over the limit', async () => {
    const t = setup({ pricing, budgets: { run: { costUsd: 0.2 } } });
    // 50k uncached * $2 + 50k cached * $0.5 + 10k output * $8 (per million) = 0.1 + 0.025 + 0.08 = $0.205
    const call = modelReturning(100_000, 10_000, 50_000);
    const result = await t.warden.run({}, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    expect(call).toHaveBeenCalledTimes(1);
    expect(result.usage.costUsd).toBeCloseTo(0.205, 10);
    expect(result.usage.cachedInputTokens).toBe(50_000);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'costUsd', limit: 0.2 });
    const span = t.span('chat gpt-test');
    expect(span.attributes['gen_ai.usage.cost.amount']).toBeCloseTo(0.205, 10);
    expect(span.attributes['gen_ai.usage.cost.currency']).toBe('USD');
    expect(span.attributes['gen_ai.usage.cache_read.input_tokens']).toBe(50_000);
    expect(t.events('model_call')[0]).toMatchObject({
      costUsd: expect.closeTo(0.205, 10),
      cachedInputTokens: 50_000,
    });
  });

  it('a cost estimate over the remaining budget stops before the call', async () => {
    const t = setup({ pricing, budgets: { run: { costUsd: 1 } } });
    const call = modelReturning(100_000, 10_000); // $0.2 + $0.08 = $0.28
    const result = await t.warden.run({}, async (run) => {
      await run.model(gpt, call);
      await run.model({ ...gpt, estimate: { costUsd: 0.8 } }, call);
    });
    expect(call).toHaveBeenCalledTimes(1);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'costUsd' });
  });

  it.each(['unpriced-model', 'constructor', '__proto__', 'toString'])(
    'price_unknown: under a cost budget, model %s without a price is never called',
    async (model) => {
      const t = setup({ pricing, budgets: { run: { costUsd: 5 } } });
      const call = modelReturning(1, 1);
      const result = await t.warden.run({}, (run) => run.model({ model }, call));
      expect(call).not.toHaveBeenCalled();
      expectStopped(t, result, { code: 'price_unknown', model });
      if (result.status === 'stopped') expect(result.stop.message).toContain('pricing');
      expectFailedSpan(t.span('invoke_agent agent'), 'price_unknown');
      expect(t.events('run_finished')[0]).toMatchObject({ status: 'stopped', stopCode: 'price_unknown' });
    },
  );

  it('price_unknown also applies when only the run sets a cost budget', async () => {
    const t = setup();
    const call = modelReturning(1, 1);
    const result = await t.warden.run({ budgets: { costUsd: 1 } }, (run) => run.model(gpt, call));
    expect(call).not.toHaveBeenCalled();
    expectStopped(t, result, { code: 'price_unknown' });
  });

  it('without any cost budget an unpriced model is fine', async () => {
    const t = setup();
    const result = await t.warden.run({}, (run) => run.model(gpt, modelReturning(1, 1)));
    expect(result).toMatchObject({ status: 'completed', usage: { costUsd: 0 } });
  });
});

describe('usage_unavailable', () => {
  it('a response without usage stops the run (token budgets cannot be enforced blind)', async () => {
    const t = setup();
    const call = vi.fn(async () => ({ text: 'hi' }));
    const next = vi.fn(async () => completion(1, 1));
    const result = await t.warden.run({}, async (run) => {
      await run.model(gpt, call);
      await run.model(gpt, next);
    });
    expect(call).toHaveBeenCalledTimes(1);
    expect(next).not.toHaveBeenCalled();
    expectStopped(t, result, { code: 'usage_unavailable', model: 'gpt-test' });
    if (result.status === 'stopped') expect(result.stop.message).toContain('usage');
    expectFailedSpan(t.span('chat gpt-test'), 'usage_unavailable');
    expectFailedSpan(t.span('invoke_agent agent'), 'usage_unavailable');
    expect(t.events('model_call')[0]).toMatchObject({ outcome: 'usage_unavailable' });
  });

  it('a usage extractor makes an unknown response shape fine', async () => {
    const t = setup();
    const result = await t.warden.run({}, (run) =>
      run.model(gpt, async () => ({ text: 'hi', meta: { in: 7, out: 3 } }), {
        usage: (r) => ({ inputTokens: r.meta.in, outputTokens: r.meta.out }),
      }),
    );
    expect(result).toMatchObject({
      status: 'completed',
      output: { text: 'hi' },
      usage: { inputTokens: 7, outputTokens: 3 },
    });
  });

  it('an extractor returning null stops the run', async () => {
    const t = setup();
    const result = await t.warden.run({}, (run) =>
      run.model(gpt, async () => ({ text: 'hi' }), { usage: () => null }),
    );
    expectStopped(t, result, { code: 'usage_unavailable' });
  });

  it('run.recordUsage counts a step and its tokens', async () => {
    const t = setup({ budgets: { run: { steps: 2 } } });
    const call = modelReturning(1, 1);
    const result = await t.warden.run({}, async (run) => {
      await run.recordUsage(gpt, { inputTokens: 40, outputTokens: 2 });
      await run.recordUsage(gpt, { inputTokens: 10, outputTokens: 1 });
      expect(run.usage).toMatchObject({ steps: 2, inputTokens: 50, outputTokens: 3 });
      await run.model(gpt, call);
    });
    expect(call).not.toHaveBeenCalled();
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'steps' });
    expect(t.events('model_call')).toHaveLength(2);
  });
});

describe('duration budget', () => {
  it('once the clock passes durationMs, the next check stops the run', async () => {
    const clock = createManualClock();
    const t = setup({ clock, budgets: { run: { durationMs: 1_000 } } });
    const call = modelReturning(1, 1);
    const result = await t.warden.run({}, async (run) => {
      await run.model(gpt, call);
      clock.advance(999);
      await run.model(gpt, call);
      clock.advance(1);
      await run.model(gpt, call);
    });
    expect(call).toHaveBeenCalledTimes(2);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'durationMs', limit: 1_000, used: 1_000 });
    expect(result.usage).toMatchObject({ durationMs: 1_000 });
  });

  it('run.check() throws the stop for loops that do work between calls', async () => {
    const clock = createManualClock();
    const t = setup({ clock, budgets: { run: { durationMs: 500 } } });
    const caught: unknown[] = [];
    const result = await t.warden.run({}, async (run) => {
      await run.check();
      clock.advance(600);
      try {
        await run.check();
      } catch (error) {
        caught.push(error);
        throw error;
      }
    });
    expect(caught).toHaveLength(1);
    expect(RunStop.isInstance(caught[0])).toBe(true);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'durationMs' });
  });

  it('a run whose code hangs outside any guard is stopped by the duration timer', async () => {
    const t = setup({ budgets: { run: { durationMs: 30 } } });
    let signal: AbortSignal | undefined;
    const result = await t.warden.run({}, async (run) => {
      signal = run.signal;
      await new Promise<void>((resolve) => run.signal.addEventListener('abort', () => resolve()));
      await run.check();
    });
    expect(signal?.aborted).toBe(true);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'durationMs' });
  });
});

describe('warnAt', () => {
  it('emits exactly one budget_warning per dimension', async () => {
    const t = setup({ budgets: { run: { steps: 4, tokens: 100 }, warnAt: 0.5 } });
    const call = modelReturning(20, 10);
    const result = await t.warden.run({}, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    expect(call).toHaveBeenCalledTimes(4);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'tokens' });
    const warnings = t.events('budget_warning');
    expect(warnings.filter((w) => w.dimension === 'steps')).toEqual([
      expect.objectContaining({ scope: 'run', limit: 4, used: 2, ratio: 0.5 }),
    ]);
    expect(warnings.filter((w) => w.dimension === 'tokens')).toEqual([
      expect.objectContaining({ scope: 'run', limit: 100, used: 60 }),
    ]);
    expect(warnings).toHaveLength(2);
    const spanEvents = t.span('invoke_agent agent').events.filter((e) => e.name === 'warden.budget_warning');
    expect(spanEvents).toHaveLength(2);
  });

  it('emits no warning below the threshold', async () => {
    const t = setup({ budgets: { run: { steps: 10 }, warnAt: 0.9 } });
    await t.warden.run({}, async (run) => {
      for (let i = 0; i < 8; i++) await run.model(gpt, modelReturning(1, 1));
    });
    expect(t.events('budget_warning')).toEqual([]);
  });
});
