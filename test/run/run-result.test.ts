import { defineTool, type ModelSpec, RunStop, WardenError } from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completion, expectFailedSpan, expectStopped, never, setup, tick } from '../warden/helpers.js';

const gpt: ModelSpec = { provider: 'openai', model: 'gpt-test' };

describe('completed runs', () => {
  it('carry output, usage, runId, traceId and an empty pending list', async () => {
    const tool = defineTool({
      name: 'lookup',
      description: 'Look up',
      input: z.object({ id: z.string() }),
      effect: 'read',
      execute: (a) => ({ id: a.id }),
    });
    const t = setup({ tools: [tool] });
    const result = await t.warden.run({ userId: 'u1' }, async (run) => {
      const response = await run.model(gpt, async () => completion(12, 3, 0, 'the answer'));
      await run.tool('lookup', { id: 'x' });
      return response.choices[0]!.message.content;
    });
    expect(result).toEqual({
      status: 'completed',
      output: 'the answer',
      usage: {
        steps: 1,
        toolCalls: 1,
        inputTokens: 12,
        outputTokens: 3,
        cachedInputTokens: 0,
        costUsd: 0,
        durationMs: expect.any(Number),
      },
      runId: expect.any(String),
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      pending: [],
    });
    const span = t.span('invoke_agent agent');
    expect(span.spanContext().traceId).toBe(result.traceId);
    expect(span.attributes['warden.run.id']).toBe(result.runId);
    expect(span.attributes['warden.run.status']).toBe('completed');
    expect(span.status.code).toBe(1);
    expect(t.events('run_started')).toEqual([expect.objectContaining({ runId: result.runId, userId: 'u1' })]);
    expect(t.events('run_finished')).toEqual([
      expect.objectContaining({ runId: result.runId, status: 'completed' }),
    ]);
  });

  it('a synchronous fn works too', async () => {
    const t = setup();
    expect(await t.warden.run({}, () => 42)).toMatchObject({ status: 'completed', output: 42 });
  });
});

describe('errors in user code', () => {
  it('a plain Error rejects warden.run with that same error', async () => {
    const t = setup();
    const bug = new TypeError('cannot read properties of undefined');
    const error = await t.warden
      .run({}, async () => {
        throw bug;
      })
      .catch((e: unknown) => e);
    expect(error).toBe(bug);
    expect(t.events('run_finished')).toEqual([expect.objectContaining({ status: 'error' })]);
    expectFailedSpan(t.span('invoke_agent agent'), 'TypeError');
  });

  it('a thrown non-Error value is rethrown as is', async () => {
    const t = setup();
    await expect(
      t.warden.run({}, () => {
        throw 'just a string';
      }),
    ).rejects.toBe('just a string');
    expect(t.events('run_finished')[0]).toMatchObject({ status: 'error' });
  });

  it('user code that catches a RunStop and returns normally still yields stopped', async () => {
    const t = setup({ budgets: { run: { steps: 1 } } });
    const call = vi.fn(async () => completion(1, 1));
    let swallowed: unknown;
    const result = await t.warden.run({}, async (run) => {
      await run.model(gpt, call);
      try {
        await run.model(gpt, call);
      } catch (error) {
        swallowed = error;
      }
      return 'pretend all is well';
    });
    expect(RunStop.isInstance(swallowed)).toBe(true);
    expect(call).toHaveBeenCalledTimes(1);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'steps' });
    expect(result).not.toHaveProperty('output');
    expect(t.events('run_finished')[0]).toMatchObject({ status: 'stopped', stopCode: 'budget_exceeded' });
  });

  it('user code that turns a RunStop into another error still yields stopped', async () => {
    const t = setup({ budgets: { run: { steps: 0 } } });
    const result = await t.warden.run({}, async (run) => {
      try {
        await run.model(gpt, async () => completion(1, 1));
      } catch {
        throw new Error('wrapped');
      }
    });
    expectStopped(t, result, { code: 'budget_exceeded' });
  });

  it('run.signal is aborted after a stop, with the RunStop as its reason', async () => {
    const t = setup({ budgets: { run: { steps: 0 } } });
    let signal: AbortSignal | undefined;
    await t.warden.run({}, async (run) => {
      signal = run.signal;
      expect(run.signal.aborted).toBe(false);
      await run.model(gpt, async () => completion(1, 1));
    });
    expect(signal?.aborted).toBe(true);
    const reason: unknown = signal?.reason;
    expect(RunStop.isInstance(reason)).toBe(true);
    expect(reason).toMatchObject({ code: 'budget_exceeded' });
  });

  it('a model call that fails with a provider error rejects the run with that error', async () => {
    const t = setup();
    const providerError = Object.assign(new Error('rate limited by provider'), { status: 429 });
    const error = await t.warden
      .run({}, (run) => run.model(gpt, () => Promise.reject(providerError)))
      .catch((e) => e);
    expect(error).toBe(providerError);
    expect(t.events('model_call')[0]).toMatchObject({ outcome: 'Error' });
    expectFailedSpan(t.span('chat gpt-test'), 'Error');
  });
});

describe('caller abort', () => {
  it('an already-aborted signal stops the run before fn runs', async () => {
    const t = setup();
    const fn = vi.fn();
    const controller = new AbortController();
    controller.abort(new Error('user went away'));
    const result = await t.warden.run({ signal: controller.signal }, fn);
    expect(fn).not.toHaveBeenCalled();
    expectStopped(t, result, { code: 'aborted', reason: 'user went away' });
    expectFailedSpan(t.span('invoke_agent agent'), 'aborted');
  });

  it('aborting mid-run stops a hanging model call promptly', async () => {
    const t = setup();
    const controller = new AbortController();
    let runSignal: AbortSignal | undefined;
    const after = vi.fn();
    const pending = t.warden.run({ signal: controller.signal }, async (run) => {
      runSignal = run.signal;
      await run.model(gpt, () => never());
      after();
    });
    await tick();
    controller.abort();
    const result = await pending;
    expect(after).not.toHaveBeenCalled();
    expectStopped(t, result, { code: 'aborted' });
    expect(runSignal?.aborted).toBe(true);
    expectFailedSpan(t.span('chat gpt-test'), 'aborted');
    expect(t.events('model_call')[0]).toMatchObject({ outcome: 'aborted' });
  });

  it('aborting mid-run stops a hanging tool and aborts its ctx.signal', async () => {
    let toolSignal: AbortSignal | undefined;
    const tool = defineTool({
      name: 'slow',
      description: 'Slow',
      input: z.object({}),
      execute: (_a, ctx) => {
        toolSignal = ctx.signal;
        return never();
      },
    });
    const t = setup({ tools: [tool] });
    const controller = new AbortController();
    const pending = t.warden.run({ signal: controller.signal }, (run) => run.tool('slow', {}));
    await tick();
    controller.abort();
    expect(await pending).toMatchObject({ status: 'stopped', stop: { code: 'aborted' } });
    expect(toolSignal?.aborted).toBe(true);
    expectFailedSpan(t.span('execute_tool slow'), 'aborted');
    expect(t.events('tool_call')[0]).toMatchObject({ outcome: 'aborted' });
  });
});

describe('limits.concurrentRunsPerUser', () => {
  it('refuses a second concurrent run of the same user, not other users, and frees the slot', async () => {
    const t = setup({ limits: { concurrentRunsPerUser: 1 } });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = t.warden.run({ userId: 'u1' }, async () => {
      await gate;
      return 'first';
    });
    await tick();
    const refusedFn = vi.fn();
    const second = await t.warden.run({ userId: 'u1' }, refusedFn);
    expect(refusedFn).not.toHaveBeenCalled();
    expectStopped(t, second, { code: 'rate_limited', limit: 1, scope: 'user' });
    expectFailedSpan(t.tracing.byName('invoke_agent agent')[0]!, 'rate_limited');

    const other = await t.warden.run({ userId: 'u2' }, () => 'other');
    expect(other).toMatchObject({ status: 'completed', output: 'other' });

    release();
    expect(await first).toMatchObject({ status: 'completed', output: 'first' });
    expect(await t.warden.run({ userId: 'u1' }, () => 'again')).toMatchObject({ status: 'completed' });
  });

  it('frees the slot when the run fails or stops', async () => {
    const t = setup({ limits: { concurrentRunsPerUser: 1 }, budgets: { run: { steps: 0 } } });
    await expect(
      t.warden.run({ userId: 'u1' }, () => {
        throw new Error('bug');
      }),
    ).rejects.toThrow('bug');
    await t.warden.run({ userId: 'u1' }, (run) => run.model(gpt, async () => completion(1, 1)));
    expect(await t.warden.run({ userId: 'u1' }, () => 'ok')).toMatchObject({ status: 'completed' });
  });
});

describe('closed warden', () => {
  it('close() stops in-flight runs and later runs reject', async () => {
    const t = setup();
    const pending = t.warden.run({}, (run) => run.model(gpt, () => never()));
    await tick();
    await t.warden.close();
    expect(await pending).toMatchObject({ status: 'stopped', stop: { code: 'aborted' } });
    const error = await t.warden.run({}, () => 1).catch((e: unknown) => e);
    expect(WardenError.isInstance(error)).toBe(true);
  });
});
