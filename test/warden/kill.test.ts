import {
  defineTool,
  type KillScope,
  type ModelSpec,
  memoryStore,
  RunStop,
  WardenConfigError,
} from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completion, expectFailedSpan, expectStopped, never, setup, tick } from './helpers.js';

const gpt: ModelSpec = { provider: 'openai', model: 'gpt-test' };

function fixture() {
  const execute = vi.fn(async () => 'sent');
  const tool = defineTool({ name: 'send', description: 'Send', input: z.object({}), execute });
  const t = setup({ tools: [tool] });
  const model = vi.fn(async () => completion(1, 1));
  const fn = vi.fn(async (run: Parameters<Parameters<typeof t.warden.run>[1]>[0]) => {
    await run.model(gpt, model);
    await run.tool('send', {});
    return 'done';
  });
  return { ...t, execute, model, fn };
}

const identity = { userId: 'u1', tenantId: 't1' };

describe('kill switch: new runs', () => {
  it.each<[string, KillScope, string]>([
    ['global', 'global', 'global'],
    ['a tenant', { tenantId: 't1' }, 'tenant:t1'],
    ['a user', { userId: 'u1' }, 'user:u1'],
  ])(
    'a kill of %s refuses new runs in scope without calling the model or tools',
    async (_label, scope, key) => {
      const t = fixture();
      await t.warden.kill(scope, { reason: 'incident 42' });
      const result = await t.warden.run(identity, t.fn);
      expectStopped(t, result, { code: 'killed', scope: key, reason: 'incident 42' });
      expect(t.fn).not.toHaveBeenCalled();
      expect(t.model).not.toHaveBeenCalled();
      expect(t.execute).not.toHaveBeenCalled();
      expectFailedSpan(t.span('invoke_agent agent'), 'killed');
      expect(t.events('killed').map((e) => e.scope)).toEqual([key, key]);
      expect(t.events('run_finished')[0]).toMatchObject({ status: 'stopped', stopCode: 'killed' });
    },
  );

  it('a kill of another user or tenant does not affect this run', async () => {
    const t = fixture();
    await t.warden.kill({ userId: 'someone-else' });
    await t.warden.kill({ tenantId: 'other-tenant' });
    await t.warden.kill({ runId: 'another-run' });
    const result = await t.warden.run(identity, t.fn);
    expect(result).toMatchObject({ status: 'completed', output: 'done' });
    expect(t.execute).toHaveBeenCalledTimes(1);
  });

  it('revive lets runs go again', async () => {
    const t = fixture();
    await t.warden.kill({ userId: 'u1' });
    expect(await t.warden.run(identity, t.fn)).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });
    await t.warden.revive({ userId: 'u1' });
    expect(await t.warden.run(identity, t.fn)).toMatchObject({ status: 'completed' });
    expect(t.model).toHaveBeenCalledTimes(1);
    expect(t.events('revived')).toEqual([expect.objectContaining({ scope: 'user:u1' })]);
  });

  it('reviving one scope leaves another kill in force', async () => {
    const t = fixture();
    await t.warden.kill('global');
    await t.warden.kill({ userId: 'u1' });
    await t.warden.revive('global');
    expect(await t.warden.run(identity, t.fn)).toMatchObject({
      status: 'stopped',
      stop: { scope: 'user:u1' },
    });
    expect(await t.warden.run({ userId: 'u2' }, t.fn)).toMatchObject({ status: 'completed' });
  });
});

describe('kill switch: in-flight runs', () => {
  it.each<[string, (runId: string) => KillScope]>([
    ['global', () => 'global'],
    ['tenant', () => ({ tenantId: 't1' })],
    ['user', () => ({ userId: 'u1' })],
    ['run', (runId) => ({ runId })],
  ])('a %s kill stops a run blocked in a model call that ignores its signal', async (_label, scopeOf) => {
    const t = fixture();
    let runId = '';
    let signal: AbortSignal | undefined;
    const after = vi.fn();
    const pending = t.warden.run(identity, async (run) => {
      runId = run.id;
      signal = run.signal;
      await run.model(gpt, () => never());
      after();
    });
    await tick();
    expect(signal?.aborted).toBe(false);
    const started = Date.now();
    await t.warden.kill(scopeOf(runId), { reason: 'runaway' });
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(500);
    expect(after).not.toHaveBeenCalled();
    expectStopped(t, result, { code: 'killed', reason: 'runaway' });
    expect(signal?.aborted).toBe(true);
    expectFailedSpan(t.span('chat gpt-test'), 'killed');
    expectFailedSpan(t.span('invoke_agent agent'), 'killed');
  });

  it('a run killed between calls stops at its next guard check', async () => {
    const t = fixture();
    const result = await t.warden.run(identity, async (run) => {
      await run.model(gpt, t.model);
      await t.warden.kill({ runId: run.id });
      await run.tool('send', {});
    });
    expectStopped(t, result, { code: 'killed', scope: `run:${result.runId}` });
    expect(t.model).toHaveBeenCalledTimes(1);
    expect(t.execute).not.toHaveBeenCalled();
    expectFailedSpan(t.span('execute_tool send'), 'killed');
    expect(t.events('tool_call')).toEqual([expect.objectContaining({ outcome: 'killed', tool: 'send' })]);
  });

  it('run.check() throws when another warden sharing the store sets a kill flag', async () => {
    const store = memoryStore();
    const here = setup({ store });
    const elsewhere = setup({ store });
    const model = vi.fn(async () => completion(1, 1));
    const caught: unknown[] = [];
    const result = await here.warden.run(identity, async (run) => {
      await elsewhere.warden.kill({ userId: 'u1' }, { reason: 'from another process' });
      expect(run.signal.aborted).toBe(false); // this warden has not heard of it yet
      try {
        await run.check();
      } catch (error) {
        caught.push(error);
      }
      await run.model(gpt, model);
      return 'still running';
    });
    expect(caught).toHaveLength(1);
    expect(RunStop.isInstance(caught[0])).toBe(true);
    expect(model).not.toHaveBeenCalled();
    expectStopped(here, result, { code: 'killed', reason: 'from another process' });
    expect(here.events('killed')).toEqual([
      expect.objectContaining({ scope: 'user:u1', runId: result.runId }),
    ]);
  });
});

describe('kill switch: bad scopes', () => {
  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['an unknown string', 'everything'],
    ['an empty user id', { userId: '' }],
    ['a non-string tenant id', { tenantId: 7 }],
    ['two keys', { userId: 'u1', runId: 'r1' }],
    ['null', null],
    ['an unknown key', { sessionId: 's1' }],
  ])('kill with %s throws WardenConfigError', async (_label, scope) => {
    const t = fixture();
    const error = await t.warden.kill(scope as KillScope).catch((e: unknown) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect((error as WardenConfigError).path).toMatch(/^kill\(scope\)/);
    expect((error as Error).message).toMatch(/global|non-empty/);
    await expect(t.warden.revive(scope as KillScope)).rejects.toSatisfy((e) =>
      WardenConfigError.isInstance(e),
    );
  });
});
