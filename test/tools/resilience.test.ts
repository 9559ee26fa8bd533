import {
  defineTool,
  type RetryOptions,
  type ToolContext,
  type ToolOutcome,
  type WardenOptions,
} from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { expectFailedSpan, expectStopped, never, setup } from '../warden/helpers.js';
import { httpError } from './fixtures.js';

type Behaviour = (ctx: ToolContext) => unknown;

/** A read tool (2 retries by default) that behaves as `script[attempt - 1]`, or as the last entry. */
function fetchTool(
  script: Behaviour[],
  extra: { retry?: RetryOptions; timeoutMs?: number; output?: z.ZodType } = {},
) {
  const contexts: ToolContext[] = [];
  const signalsAbortedOnEntry: boolean[] = [];
  const execute = vi.fn(async (_args: { url: string }, ctx: ToolContext) => {
    contexts.push(ctx);
    signalsAbortedOnEntry.push(ctx.signal.aborted);
    return script[Math.min(contexts.length, script.length) - 1]!(ctx);
  });
  const tool = defineTool({
    name: 'fetch_page',
    description: 'Fetch a page',
    input: z.object({ url: z.string() }),
    effect: 'read',
    ...extra,
    execute,
  });
  return { tool, execute, contexts, signalsAbortedOnEntry };
}

const fails =
  (make: () => unknown): Behaviour =>
  () => {
    throw make();
  };
const returns =
  (value: unknown): Behaviour =>
  () =>
    value;

/** One run with one call on a manual clock (backoff waits take no real time). */
async function callOnce(
  tool: ReturnType<typeof fetchTool>,
  options: Omit<WardenOptions, 'audit' | 'telemetry' | 'tools'> = {},
  runOptions: Parameters<ReturnType<typeof setup>['warden']['run']>[0] = {},
) {
  const clock = createManualClock();
  const t = setup({ tools: [tool.tool], clock, ...options });
  const startedAt = clock.now();
  let outcome: ToolOutcome | undefined;
  const result = await t.warden.run(runOptions, async (run) => {
    outcome = await run.tool('fetch_page', { url: 'https://example.com' }, { callId: 'c1' });
  });
  const span = t.span('execute_tool fetch_page');
  return { ...t, clock, outcome: outcome!, result, span, waitedMs: clock.now() - startedAt };
}

describe('retries: which errors are transient (read tool, default 2 retries)', () => {
  const undiciSocket = () => new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } });
  it.each<[string, number, () => unknown]>([
    ['status 500', 3, () => httpError(500)],
    ['status 503', 3, () => httpError(503)],
    ['status 429', 3, () => httpError(429)],
    ['status 408', 3, () => httpError(408)],
    ['statusCode 502', 3, () => httpError(502, 'statusCode')],
    ['response.status 504', 3, () => httpError(504, 'response')],
    ['status 400', 1, () => httpError(400)],
    ['status 404', 1, () => httpError(404)],
    ["{ code: 'ECONNRESET' }", 3, () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    [
      "{ code: 'EAI_AGAIN' }",
      3,
      () => Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }),
    ],
    ["{ code: 'ENOENT' }", 1, () => Object.assign(new Error('no such file'), { code: 'ENOENT' })],
    ["TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } })", 3, undiciSocket],
    [
      "TypeError('other side closed', { cause: { code: 'UND_ERR_CLOSED' } })",
      3,
      () => new TypeError('other side closed', { cause: { code: 'UND_ERR_CLOSED' } }),
    ],
    ['a plain Error', 1, () => new Error('bad request')],
    ["TypeError('x is not a function')", 1, () => new TypeError('x is not a function')],
    ['a thrown non-Error { status: 503 }', 3, () => ({ status: 503 })],
  ])('execute throwing %s → %i attempt(s)', async (_label, attempts, make) => {
    const tool = fetchTool([fails(make)]);
    const t = await callOnce(tool);
    const transient = attempts > 1;

    expect(tool.execute).toHaveBeenCalledTimes(attempts);
    expect(tool.contexts.map((c) => c.attempt)).toEqual(Array.from({ length: attempts }, (_, i) => i + 1));
    expect(t.outcome).toMatchObject({
      ok: false,
      error: { code: 'tool_error', retryable: transient, details: { attempts, transient } },
    });
    // Every attempt is a tool call in usage.
    expect(t.result.usage.toolCalls).toBe(attempts);
    expectFailedSpan(t.span, 'tool_error');
    expect(t.span.attributes['warden.tool.attempts']).toBe(attempts);
    expect(t.span.events.filter((e) => e.name === 'warden.retry')).toHaveLength(attempts - 1);
    expect(t.events('tool_retry').map((e) => e.attempt)).toEqual(
      Array.from({ length: attempts - 1 }, (_, i) => i + 2),
    );
    expect(t.events('tool_call')).toEqual([expect.objectContaining({ outcome: 'tool_error', attempts })]);
    // No backoff is waited for an error that is not retried.
    if (!transient) expect(t.waitedMs).toBe(0);
    const sample = make();
    if (sample instanceof Error && !t.outcome.ok) expect(t.outcome.error.message).toContain(sample.message);
  });

  it('a transient failure followed by success returns the value; both attempts are counted', async () => {
    const tool = fetchTool([fails(() => httpError(503)), returns({ html: '<p>ok</p>' })]);
    const t = await callOnce(tool);
    expect(t.outcome).toMatchObject({ ok: true, value: { html: '<p>ok</p>' } });
    expect(tool.execute).toHaveBeenCalledTimes(2);
    expect(t.result.usage.toolCalls).toBe(2);
    expect(t.span.attributes['warden.tool.outcome']).toBe('ok');
    expect(t.events('tool_retry')).toEqual([
      expect.objectContaining({ tool: 'fetch_page', callId: 'c1', attempt: 2, error: 'HTTP 503' }),
    ]);
    expect(t.events('tool_call')).toEqual([expect.objectContaining({ outcome: 'ok', attempts: 2 })]);
  });

  it('a result that breaks the output schema is invalid_output and is not retried', async () => {
    const tool = fetchTool([returns({ html: 42 })], { output: z.object({ html: z.string() }) });
    const t = await callOnce(tool);
    expect(t.outcome).toMatchObject({ ok: false, error: { code: 'invalid_output' } });
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expectFailedSpan(t.span, 'invalid_output');
    expect(t.events('tool_retry')).toHaveLength(0);
  });
});

describe('timeouts', () => {
  it('a hanging tool times out on every attempt: tool_timeout, 3 attempts, each with its own aborted signal', async () => {
    const tool = fetchTool([() => never()], { timeoutMs: 20 });
    const started = Date.now();
    const t = await callOnce(tool);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(t.outcome).toMatchObject({
      ok: false,
      error: { code: 'tool_timeout', retryable: true, details: { timeoutMs: 20, attempts: 3 } },
    });
    expect(tool.execute).toHaveBeenCalledTimes(3);
    const signals = tool.contexts.map((c) => c.signal);
    expect(new Set(signals).size).toBe(3);
    expect(tool.signalsAbortedOnEntry).toEqual([false, false, false]);
    expect(signals.map((s) => s.aborted)).toEqual([true, true, true]);
    expect(signals.map((s) => (s.reason as Error).name)).toEqual([
      'AttemptTimeout',
      'AttemptTimeout',
      'AttemptTimeout',
    ]);
    expectFailedSpan(t.span, 'tool_timeout');
    expect(t.result.usage.toolCalls).toBe(3);
    expect(t.events('tool_retry')).toHaveLength(2);
  });

  it('a timed-out attempt is aborted; the retry gets a fresh, live signal', async () => {
    let liveDuringSecond: boolean | undefined;
    const tool = fetchTool(
      [
        () => never(),
        (ctx) => {
          liveDuringSecond = !ctx.signal.aborted;
          return 'second try';
        },
      ],
      { timeoutMs: 20 },
    );
    const t = await callOnce(tool);
    expect(t.outcome).toMatchObject({ ok: true, value: 'second try' });
    const [first, second] = tool.contexts as [ToolContext, ToolContext];
    expect(first.signal).not.toBe(second.signal);
    expect(first.signal.aborted).toBe(true);
    expect(liveDuringSecond).toBe(true);
    // The successful attempt's signal is not aborted by its (cleared) timer afterwards.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(second.signal.aborted).toBe(false);
  });

  it("each attempt's signal is linked to the run: a kill aborts the running attempt", async () => {
    const tool = fetchTool([() => never()], { timeoutMs: 60_000 });
    const clock = createManualClock();
    const t = setup({ tools: [tool.tool], clock });
    const running = t.warden.run({ userId: 'u1' }, (run) => run.tool('fetch_page', { url: 'x' }));
    await vi.waitFor(() => expect(tool.execute).toHaveBeenCalledTimes(1));
    await t.warden.kill({ userId: 'u1' });
    const result = await running;
    expectStopped(t, result, { code: 'killed' });
    expect(tool.contexts[0]!.signal.aborted).toBe(true);
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expectFailedSpan(t.span('execute_tool fetch_page'), 'killed');
  });
});

describe('retry.isTransient', () => {
  it('an override that says "transient" makes an otherwise permanent error retried, with the original error', async () => {
    const errors: unknown[] = [];
    const original = new Error('flaky upstream');
    const tool = fetchTool([fails(() => original)], {
      retry: {
        isTransient: (e) => {
          errors.push(e);
          return (e as Error).message === 'flaky upstream';
        },
      },
    });
    const t = await callOnce(tool);
    expect(tool.execute).toHaveBeenCalledTimes(3);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toBe(original);
    expect(t.outcome).toMatchObject({ ok: false, error: { code: 'tool_error', retryable: true } });
  });

  it('an override that says "permanent" stops retries even for a 503', async () => {
    const tool = fetchTool([fails(() => httpError(503))], { retry: { isTransient: () => false } });
    const t = await callOnce(tool);
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expect(t.outcome).toMatchObject({ ok: false, error: { code: 'tool_error', retryable: false } });
    expect(t.events('tool_retry')).toHaveLength(0);
  });

  it('an override that throws counts as "permanent"', async () => {
    const tool = fetchTool([fails(() => httpError(503))], {
      retry: {
        isTransient: () => {
          throw new Error('classifier bug');
        },
      },
    });
    const t = await callOnce(tool);
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expect(t.outcome).toMatchObject({ ok: false, error: { code: 'tool_error' } });
  });

  it.each<[string, () => unknown, RetryOptions]>([
    [
      'a TypeError the built-in rules call transient (cause.code ECONNRESET)',
      () => new TypeError('socket hang up', { cause: { code: 'ECONNRESET' } }),
      {},
    ],
    [
      'a TypeError an override calls transient',
      () => new TypeError('Cannot read properties'),
      { isTransient: () => true },
    ],
  ])('%s is retried like any other transient error', async (_label, make, retry) => {
    const tool = fetchTool([fails(make), returns('recovered')], { retry });
    const t = await callOnce(tool);
    expect(tool.execute).toHaveBeenCalledTimes(2);
    expect(t.outcome).toMatchObject({ ok: true, value: 'recovered' });
    expect(t.events('tool_retry')).toHaveLength(1);
  });
});

describe('backoff', () => {
  it.each<[string, () => number, RetryOptions, number[]]>([
    ['random() = 0 → the minimum, doubling', () => 0, {}, [200, 400]],
    ['random() = 0.999 → almost twice that', () => 0.999, {}, [400, 800]],
    ['capped at maxDelayMs', () => 0.5, { retries: 3, minDelayMs: 100, maxDelayMs: 250 }, [150, 250, 250]],
    ['minDelayMs 0 → no wait', () => 0.7, { minDelayMs: 0 }, [0, 0]],
  ])(
    'exponential backoff with jitter from the injected random: %s',
    async (_label, random, retry, delays) => {
      const tool = fetchTool([fails(() => httpError(503))], { retry });
      const t = await callOnce(tool, { random });
      expect(tool.execute).toHaveBeenCalledTimes(delays.length + 1);
      expect(t.events('tool_retry').map((e) => e.delayMs)).toEqual(delays);
      expect(
        t.span.events
          .filter((e) => e.name === 'warden.retry')
          .map((e) => e.attributes?.['warden.retry.delay_ms']),
      ).toEqual(delays);
      // The manual clock moved by exactly the waits.
      expect(t.waitedMs).toBe(delays.reduce((a, b) => a + b, 0));
    },
  );

  it('a backoff that would outlive the run duration budget is not taken', async () => {
    // durationMs 800: the first wait (300) fits, the second (600 more, to 900) does not.
    const tool = fetchTool([fails(() => httpError(503))], { retry: { minDelayMs: 300, maxDelayMs: 5_000 } });
    const t = await callOnce(tool, { random: () => 0, budgets: { run: { durationMs: 800 } } });
    expect(tool.execute).toHaveBeenCalledTimes(2);
    expect(t.events('tool_retry').map((e) => e.delayMs)).toEqual([300]);
    expect(t.waitedMs).toBe(300);
    expect(t.outcome).toMatchObject({ ok: false, error: { code: 'tool_error', details: { attempts: 2 } } });
    expect(t.result.status).toBe('completed');
  });

  it('a first backoff longer than the whole duration budget means a single attempt', async () => {
    const tool = fetchTool([fails(() => httpError(503))], {
      retry: { minDelayMs: 2_000, maxDelayMs: 5_000 },
    });
    const t = await callOnce(tool, { random: () => 0, budgets: { run: { durationMs: 1_000 } } });
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expect(t.events('tool_retry')).toHaveLength(0);
    expect(t.waitedMs).toBe(0);
  });

  it('a kill during a (real-time) backoff stops the run at once, without another attempt', async () => {
    const tool = fetchTool([fails(() => httpError(503))], {
      retry: { minDelayMs: 10_000, maxDelayMs: 10_000 },
    });
    // The real clock: the backoff is a real 10 s timer, which the kill must cut short.
    const t = setup({ tools: [tool.tool] });
    const timer = setTimeout(() => void t.warden.kill({ userId: 'u1' }, { reason: 'incident' }), 50);
    const started = Date.now();
    const result = await t.warden.run({ userId: 'u1' }, (run) => run.tool('fetch_page', { url: 'x' }));
    clearTimeout(timer);
    expect(Date.now() - started).toBeLessThan(2_000);
    expectStopped(t, result, { code: 'killed', reason: 'incident' });
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expect(t.events('tool_retry')).toEqual([expect.objectContaining({ attempt: 2, delayMs: 10_000 })]);
    expectFailedSpan(t.span('execute_tool fetch_page'), 'killed');
  });

  it("the caller's abort during a backoff stops the run as aborted", async () => {
    const tool = fetchTool([fails(() => httpError(503))], {
      retry: { minDelayMs: 10_000, maxDelayMs: 10_000 },
    });
    const t = setup({ tools: [tool.tool] });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 50);
    const result = await t.warden.run({ signal: controller.signal }, (run) =>
      run.tool('fetch_page', { url: 'x' }),
    );
    clearTimeout(timer);
    expectStopped(t, result, { code: 'aborted' });
    expect(tool.execute).toHaveBeenCalledTimes(1);
  });

  it('every retry counts against the tool-call budget: the attempt past it never runs', async () => {
    const tool = fetchTool([fails(() => httpError(503))]);
    const clock = createManualClock();
    const t = setup({ tools: [tool.tool], clock, budgets: { run: { toolCalls: 2 } } });
    const result = await t.warden.run({}, (run) => run.tool('fetch_page', { url: 'x' }));
    expect(tool.execute).toHaveBeenCalledTimes(2);
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'toolCalls', limit: 2, used: 2 });
    expect(result.usage.toolCalls).toBe(2);
  });
});
