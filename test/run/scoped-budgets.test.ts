import { defineTool, type ModelSpec, WardenConfigError } from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completion, expectFailedSpan, expectStopped, setup, tick } from '../warden/helpers.js';

const gpt: ModelSpec = { provider: 'openai', model: 'gpt-test' };
const DAY = 86_400_000;

function modelReturning(inputTokens: number, outputTokens: number) {
  return vi.fn(async (_signal: AbortSignal) => completion(inputTokens, outputTokens));
}

describe('user budgets', () => {
  it('two sequential runs of one user share the budget', async () => {
    const clock = createManualClock(Date.UTC(2026, 2, 10, 12));
    const t = setup({ clock, budgets: { user: { steps: 3, window: 'day' } } });
    const call = modelReturning(1, 1);
    const first = await t.warden.run({ userId: 'u1' }, async (run) => {
      await run.model(gpt, call);
      await run.model(gpt, call);
      return 'two';
    });
    expect(first.status).toBe('completed');
    const second = await t.warden.run({ userId: 'u1' }, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    expect(call).toHaveBeenCalledTimes(3);
    expectStopped(t, second, {
      code: 'budget_exceeded',
      dimension: 'steps',
      scope: 'user',
      limit: 3,
      used: 3,
    });
    expect(second.usage).toMatchObject({ steps: 1 });
    expectFailedSpan(t.tracing.byName('invoke_agent agent')[1]!, 'budget_exceeded');
    expect(t.events('budget_exceeded')).toEqual([
      expect.objectContaining({ scope: 'user', dimension: 'steps', runId: second.runId, userId: 'u1' }),
    ]);

    // Another user has their own budget.
    const other = await t.warden.run({ userId: 'u2' }, (run) => run.model(gpt, call));
    expect(other.status).toBe('completed');
  });

  it("a new UTC day resets a 'day' window", async () => {
    const clock = createManualClock(Date.UTC(2026, 2, 10, 23, 59));
    const t = setup({ clock, budgets: { user: { tokens: 100, window: 'day' } } });
    const call = modelReturning(60, 40);
    const loop = () =>
      t.warden.run({ userId: 'u1' }, async (run) => {
        for (;;) await run.model(gpt, call);
      });
    expect(await loop()).toMatchObject({ status: 'stopped', stop: { scope: 'user', dimension: 'tokens' } });
    expect(call).toHaveBeenCalledTimes(1);
    clock.advance(30_000); // still 23:59:30
    expect(await loop()).toMatchObject({ status: 'stopped', usage: { steps: 0 } });
    expect(call).toHaveBeenCalledTimes(1);
    clock.advance(60_000); // 00:00:30 the next day
    expect(await loop()).toMatchObject({ status: 'stopped', usage: { steps: 1 } });
    expect(call).toHaveBeenCalledTimes(2);
  });

  it("a 'total' window never resets", async () => {
    const clock = createManualClock();
    const t = setup({ clock, budgets: { user: { steps: 1, window: 'total' } } });
    const call = modelReturning(1, 1);
    await t.warden.run({ userId: 'u1' }, (run) => run.model(gpt, call));
    clock.advance(400 * DAY);
    const later = await t.warden.run({ userId: 'u1' }, (run) => run.model(gpt, call));
    expectStopped(t, later, { code: 'budget_exceeded', scope: 'user' });
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('a run without userId is rejected with WardenConfigError when budgets.user is set', async () => {
    const t = setup({
      budgets: { user: { costUsd: 1 } },
      pricing: { 'gpt-test': { inputPerMTok: 1, outputPerMTok: 1 } },
    });
    const fn = vi.fn();
    const error = await t.warden.run({}, fn).catch((e: unknown) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect((error as WardenConfigError).path).toBe('run.userId');
    expect(fn).not.toHaveBeenCalled();
  });

  it('a run without tenantId is rejected when budgets.tenant is set', async () => {
    const t = setup({ budgets: { tenant: { steps: 100 } } });
    const fn = vi.fn();
    const error = await t.warden.run({ userId: 'u1' }, fn).catch((e: unknown) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect((error as WardenConfigError).path).toBe('run.tenantId');
    expect(fn).not.toHaveBeenCalled();
  });

  it('concurrent runs of one user with an estimate never overspend the user budget', async () => {
    const t = setup({ budgets: { user: { tokens: 1_000 } } });
    const call = vi.fn(async () => {
      await tick();
      return completion(100, 100);
    });
    const spec: ModelSpec = { ...gpt, estimate: { inputTokens: 100, outputTokens: 100 } };
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.warden.run({ userId: 'u1' }, async (run) => {
          for (;;) await run.model(spec, call);
        }),
      ),
    );
    const spent = results.reduce((sum, r) => sum + r.usage.inputTokens + r.usage.outputTokens, 0);
    expect(spent).toBeLessThanOrEqual(1_000);
    expect(call).toHaveBeenCalledTimes(5);
    for (const r of results) {
      expect(r).toMatchObject({
        status: 'stopped',
        stop: { code: 'budget_exceeded', scope: 'user', dimension: 'tokens' },
      });
    }
  });
});

describe('session and tenant budgets', () => {
  it('a session tool-call budget is shared by the runs of that session', async () => {
    const execute = vi.fn((a: { i: number }) => a.i);
    const tool = defineTool({
      name: 'count',
      description: 'Count',
      input: z.object({ i: z.number() }),
      effect: 'read',
      execute,
    });
    const t = setup({ tools: [tool], budgets: { session: { toolCalls: 3 } } });
    const loop = (sessionId: string) =>
      t.warden.run({ sessionId }, async (run) => {
        for (let i = 0; ; i++) await run.tool('count', { i });
      });
    expect(await loop('s1')).toMatchObject({
      status: 'stopped',
      stop: { scope: 'session', dimension: 'toolCalls' },
    });
    expect(execute).toHaveBeenCalledTimes(3);
    expect(await loop('s1')).toMatchObject({ status: 'stopped', usage: { toolCalls: 0 } });
    expect(execute).toHaveBeenCalledTimes(3);
    expect(await loop('s2')).toMatchObject({ status: 'stopped', stop: { scope: 'session' } });
    expect(execute).toHaveBeenCalledTimes(6);
  });

  it('a tenant cost budget is shared by all users of the tenant', async () => {
    const t = setup({
      pricing: { 'gpt-test': { inputPerMTok: 1_000, outputPerMTok: 1_000 } },
      budgets: { tenant: { costUsd: 1, window: 'month' } },
    });
    const call = modelReturning(400, 100); // $0.50
    const a = await t.warden.run({ tenantId: 't1', userId: 'a' }, async (run) => {
      await run.model(gpt, call);
    });
    const b = await t.warden.run({ tenantId: 't1', userId: 'b' }, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    expect(a.status).toBe('completed');
    expectStopped(t, b, { code: 'budget_exceeded', scope: 'tenant', dimension: 'costUsd', limit: 1 });
    expect(call).toHaveBeenCalledTimes(2);
    const other = await t.warden.run({ tenantId: 't2', userId: 'a' }, (run) => run.model(gpt, call));
    expect(other.status).toBe('completed');
  });

  it('a scoped budget warning fires once per run', async () => {
    const t = setup({ budgets: { user: { steps: 4 }, warnAt: 0.5 } });
    const call = modelReturning(1, 1);
    await t.warden.run({ userId: 'u1' }, async (run) => {
      for (;;) await run.model(gpt, call);
    });
    const warnings = t.events('budget_warning').filter((w) => w.scope === 'user');
    expect(warnings).toEqual([expect.objectContaining({ dimension: 'steps', limit: 4 })]);
  });
});
