import { defineTool, type ToolContext, type ToolOutcome, type WardenOptions } from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { expectFailedSpan, never, setup } from '../warden/helpers.js';
import { deferred, httpError } from './fixtures.js';

const KEY = 'order-2026-000001'; // 17 characters
const args = { to: 'ada@example.com', body: 'hello' };

/** A write tool (the default effect) whose execute is a spy recording every context it gets. */
function sendTool(
  impl: (a: { to: string; body: string }, ctx: ToolContext) => unknown = () => ({ messageId: 'm1' }),
  extra: Partial<Parameters<typeof defineTool>[0]> = {},
) {
  const contexts: ToolContext[] = [];
  const execute = vi.fn(async (a: { to: string; body: string }, ctx: ToolContext) => {
    contexts.push(ctx);
    return impl(a, ctx);
  });
  const tool = defineTool({
    name: 'send_email',
    description: 'Send an email',
    input: z.object({ to: z.string(), body: z.string().min(1) }),
    ...extra,
    execute,
  } as Parameters<typeof defineTool>[0]);
  return { tool, execute, contexts };
}

function fixture(
  tool: ReturnType<typeof sendTool>,
  options: Omit<WardenOptions, 'audit' | 'telemetry'> = {},
) {
  const t = setup({ tools: [tool.tool], ...options });
  /** One run that makes one call. */
  const call = async (
    runOptions: Parameters<typeof t.warden.run>[0],
    raw: unknown,
    callOptions: { callId?: string; idempotencyKey?: string } = {},
  ): Promise<ToolOutcome> => {
    let outcome: ToolOutcome | undefined;
    const result = await t.warden.run(runOptions, async (run) => {
      outcome = await run.tool('send_email', raw, callOptions);
    });
    expect(result.status).toBe('completed');
    return outcome!;
  };
  const spanOf = (callId: string) => {
    const found = t.tracing.spans().filter((s) => s.attributes['gen_ai.tool.call.id'] === callId);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const toolCall = (callId: string) => t.events('tool_call').find((e) => e.callId === callId);
  return { ...t, call, spanOf, toolCall };
}

describe('idempotency: replay of completed calls', () => {
  it('replays a completed call: stored value, replayed: true, execute not called, span and audit say so', async () => {
    const tool = sendTool();
    const t = fixture(tool);
    let first: ToolOutcome | undefined;
    let second: ToolOutcome | undefined;
    await t.warden.run({ sessionId: 's1' }, async (run) => {
      first = await run.tool('send_email', args, { callId: 'c1' });
      // Same arguments as JSON text with the keys in another order: canonically identical.
      second = await run.tool('send_email', '{"body":"hello","to":"ada@example.com"}', { callId: 'c2' });
    });
    expect(first).toMatchObject({ ok: true, value: { messageId: 'm1' }, replayed: false });
    expect(second).toMatchObject({ ok: true, value: { messageId: 'm1' }, replayed: true, callId: 'c2' });
    expect(tool.execute).toHaveBeenCalledTimes(1);

    const key = tool.contexts[0]!.idempotencyKey;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(t.spanOf('c1').attributes).toMatchObject({
      'warden.idempotency.key': key,
      'warden.idempotency.replayed': false,
      'warden.tool.outcome': 'ok',
    });
    expect(t.spanOf('c2').attributes).toMatchObject({
      'warden.idempotency.key': key,
      'warden.idempotency.replayed': true,
      'warden.tool.outcome': 'ok',
    });
    expect(t.toolCall('c1')).toMatchObject({ idempotencyKey: key, replayed: false, attempts: 1 });
    expect(t.toolCall('c2')).toMatchObject({ idempotencyKey: key, replayed: true, outcome: 'ok' });
    expect(t.toolCall('c2')).not.toHaveProperty('attempts');
    // The replayed call never got as far as writing an intent.
    expect(t.events('tool_intent').map((e) => e.callId)).toEqual(['c1']);
  });

  it('replays across runs of one session', async () => {
    const tool = sendTool();
    const t = fixture(tool);
    const a = await t.call({ sessionId: 's1' }, args, { callId: 'c1' });
    const b = await t.call({ sessionId: 's1' }, args, { callId: 'c2' });
    expect(a).toMatchObject({ ok: true, replayed: false });
    expect(b).toMatchObject({ ok: true, replayed: true, value: { messageId: 'm1' } });
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expect(t.spanOf('c2').attributes['warden.idempotency.replayed']).toBe(true);
  });

  it('derived keys do not replay across sessions, nor across runs without a session', async () => {
    const tool = sendTool();
    const t = fixture(tool);
    await t.call({ sessionId: 's1' }, args);
    await t.call({ sessionId: 's2' }, args);
    await t.call({}, args);
    await t.call({}, args);
    expect(tool.execute).toHaveBeenCalledTimes(4);
    const keys = tool.contexts.map((c) => c.idempotencyKey);
    expect(new Set(keys).size).toBe(4);
  });

  it('an explicit key is scoped by tenant and user: no replay for another user or tenant', async () => {
    const tool = sendTool();
    const t = fixture(tool);
    const outcomes = [
      await t.call({ userId: 'u1', tenantId: 't1' }, args, { idempotencyKey: KEY }),
      await t.call({ userId: 'u2', tenantId: 't1' }, args, { idempotencyKey: KEY }),
      await t.call({ userId: 'u1', tenantId: 't2' }, args, { idempotencyKey: KEY }),
      await t.call({ userId: 'u1' }, args, { idempotencyKey: KEY }),
    ];
    expect(outcomes.map((o) => o.ok && o.replayed)).toEqual([false, false, false, false]);
    expect(tool.execute).toHaveBeenCalledTimes(4);
    // Every one of them saw the explicit key itself.
    expect(tool.contexts.map((c) => c.idempotencyKey)).toEqual([KEY, KEY, KEY, KEY]);
  });

  it('an explicit key is not scoped by session: the same user and tenant replay it from another session', async () => {
    // Stripe / IETF semantics scope a client key by principal (tenant, user), not by conversation.
    const tool = sendTool();
    const t = fixture(tool);
    await t.call({ userId: 'u1', tenantId: 't1', sessionId: 's1' }, args, { idempotencyKey: KEY });
    const again = await t.call({ userId: 'u1', tenantId: 't1', sessionId: 's2' }, args, {
      idempotencyKey: KEY,
    });
    expect(again).toMatchObject({ ok: true, replayed: true });
    expect(tool.execute).toHaveBeenCalledTimes(1);
  });
});

describe('idempotency: conflicts and calls in flight', () => {
  it('the same explicit key with different arguments is idempotency_conflict and never executes', async () => {
    const tool = sendTool();
    const t = fixture(tool);
    await t.call({ userId: 'u1' }, args, { idempotencyKey: KEY, callId: 'c1' });
    const conflict = await t.call(
      { userId: 'u1' },
      { ...args, body: 'changed' },
      { idempotencyKey: KEY, callId: 'c2' },
    );
    expect(conflict.ok).toBe(false);
    if (conflict.ok) return;
    expect(conflict.error).toMatchObject({ code: 'idempotency_conflict', retryable: false });
    expect(conflict.error.details).toMatchObject({ idempotencyKey: KEY });
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expect(tool.execute).toHaveBeenCalledWith(args, expect.anything());
    expectFailedSpan(t.spanOf('c2'), 'idempotency_conflict');
    expect(t.toolCall('c2')).toMatchObject({
      outcome: 'idempotency_conflict',
      idempotencyKey: KEY,
      replayed: false,
    });
  });

  it('an identical call while the first is in flight gets idempotency_in_flight at once (never blocks)', async () => {
    const gate = deferred<{ messageId: string }>();
    const tool = sendTool(() => gate.promise);
    const t = fixture(tool);
    const first = t.call({ sessionId: 's1' }, args, { callId: 'c1' });
    await vi.waitFor(() => expect(tool.execute).toHaveBeenCalledTimes(1));
    // The first call is still executing; the second must not wait for it.
    const second = await t.call({ sessionId: 's1' }, args, { callId: 'c2' });
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error).toMatchObject({ code: 'idempotency_in_flight', retryable: true });
    expectFailedSpan(t.spanOf('c2'), 'idempotency_in_flight');
    expect(t.toolCall('c2')).toMatchObject({ outcome: 'idempotency_in_flight' });

    gate.resolve({ messageId: 'late' });
    expect(await first).toMatchObject({ ok: true, value: { messageId: 'late' }, replayed: false });
    const third = await t.call({ sessionId: 's1' }, args, { callId: 'c3' });
    expect(third).toMatchObject({ ok: true, value: { messageId: 'late' }, replayed: true });
    expect(tool.execute).toHaveBeenCalledTimes(1);
  });

  it('a claim whose lease expired is taken over; the stale owner cannot overwrite the result (fencing)', async () => {
    const clock = createManualClock();
    const gate = deferred<{ messageId: string }>();
    let n = 0;
    const tool = sendTool(() => (++n === 1 ? gate.promise : { messageId: 'second' }), { timeoutMs: 1_000 });
    const t = fixture(tool, { clock });
    const first = t.call({ sessionId: 's1' }, args, { callId: 'c1' });
    await vi.waitFor(() => expect(tool.execute).toHaveBeenCalledTimes(1));
    // Lease = timeoutMs × attempts + 30 s of slack; once it passes the claim is considered abandoned.
    clock.advance(31_001);
    const second = await t.call({ sessionId: 's1' }, args, { callId: 'c2' });
    expect(second).toMatchObject({ ok: true, value: { messageId: 'second' }, replayed: false });
    expect(tool.execute).toHaveBeenCalledTimes(2);

    gate.resolve({ messageId: 'stale' });
    expect(await first).toMatchObject({ ok: true, value: { messageId: 'stale' } });
    expect(t.spanOf('c1').events.map((e) => e.name)).toContain('warden.idempotency.fenced');

    const third = await t.call({ sessionId: 's1' }, args, { callId: 'c3' });
    expect(third).toMatchObject({ ok: true, replayed: true, value: { messageId: 'second' } });
    expect(tool.execute).toHaveBeenCalledTimes(2);
  });
});

describe('idempotency: failures', () => {
  it.each<[string, () => unknown]>([
    ['a 400 error', () => httpError(400)],
    ['an error without a status', () => new Error('mailbox does not exist')],
  ])('a permanent error (%s) is stored and replayed; execute runs once', async (_label, make) => {
    const tool = sendTool(() => {
      throw make();
    });
    const t = fixture(tool);
    const a = await t.call({ sessionId: 's1' }, args, { callId: 'c1' });
    const b = await t.call({ sessionId: 's1' }, args, { callId: 'c2' });
    expect(a).toMatchObject({ ok: false, error: { code: 'tool_error', retryable: false } });
    expect(b).toMatchObject({
      ok: false,
      error: { code: 'tool_error', retryable: false, details: { replayed: true } },
    });
    if (!b.ok) expect(b.error.message).toContain('not run again');
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expectFailedSpan(t.spanOf('c2'), 'tool_error');
    expect(t.spanOf('c2').attributes['warden.idempotency.replayed']).toBe(true);
    expect(t.toolCall('c2')).toMatchObject({ outcome: 'tool_error', replayed: true });
  });

  it('a result that breaks the output schema is stored as invalid_output and replayed as such', async () => {
    const tool = sendTool(() => ({ messageId: 42 }), { output: z.object({ messageId: z.string() }) });
    const t = fixture(tool);
    const a = await t.call({ sessionId: 's1' }, args);
    const b = await t.call({ sessionId: 's1' }, args, { callId: 'c2' });
    expect(a).toMatchObject({ ok: false, error: { code: 'invalid_output' } });
    expect(b).toMatchObject({ ok: false, error: { code: 'invalid_output', details: { replayed: true } } });
    expect(tool.execute).toHaveBeenCalledTimes(1);
  });

  it('a timeout after execute started is indeterminate: never re-executed automatically', async () => {
    const tool = sendTool(() => never(), { timeoutMs: 30 });
    const t = fixture(tool);
    const a = await t.call({ sessionId: 's1' }, args, { callId: 'c1' });
    expect(a).toMatchObject({ ok: false, error: { code: 'tool_timeout' } });
    const b = await t.call({ sessionId: 's1' }, args, { callId: 'c2' });
    expect(b).toMatchObject({
      ok: false,
      error: { code: 'tool_error', retryable: false, details: { indeterminate: true } },
    });
    if (!b.ok) expect(b.error.message).toMatch(/unknown outcome/);
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expectFailedSpan(t.spanOf('c2'), 'tool_error');
    expect(tool.contexts[0]!.signal.aborted).toBe(true);
  });

  it.each<[string, () => unknown]>([
    ['500', () => httpError(500)],
    ['502 on statusCode', () => httpError(502, 'statusCode')],
    ['ECONNRESET', () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('a transient error that may have reached the server (%s) is indeterminate', async (_label, make) => {
    const tool = sendTool(() => {
      throw make();
    });
    const t = fixture(tool);
    await t.call({ sessionId: 's1' }, args);
    const b = await t.call({ sessionId: 's1' }, args);
    expect(b).toMatchObject({ ok: false, error: { details: { indeterminate: true } } });
    expect(tool.execute).toHaveBeenCalledTimes(1);
  });

  it('a run killed while execute runs leaves the call indeterminate', async () => {
    const tool = sendTool(() => never());
    const t = fixture(tool);
    const running = t.warden.run({ sessionId: 's1', userId: 'u1' }, (run) => run.tool('send_email', args));
    await vi.waitFor(() => expect(tool.execute).toHaveBeenCalledTimes(1));
    await t.warden.kill({ userId: 'u1' });
    expect(await running).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });
    await t.warden.revive({ userId: 'u1' });
    const b = await t.call({ sessionId: 's1', userId: 'u1' }, args);
    expect(b).toMatchObject({ ok: false, error: { details: { indeterminate: true } } });
    expect(tool.execute).toHaveBeenCalledTimes(1);
  });

  it.each<[string, () => unknown]>([
    ['503', () => httpError(503)],
    ['429', () => httpError(429, 'response')],
    ['408', () => httpError(408)],
    ['ECONNREFUSED', () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ])(
    'an error that says "not processed" (%s) releases the claim: a later identical call executes',
    async (_l, make) => {
      let n = 0;
      const tool = sendTool(() => {
        if (++n === 1) throw make();
        return { messageId: 'm2' };
      });
      const t = fixture(tool);
      const a = await t.call({ sessionId: 's1' }, args);
      expect(a).toMatchObject({ ok: false, error: { code: 'tool_error', retryable: true } });
      const b = await t.call({ sessionId: 's1' }, args);
      expect(b).toMatchObject({ ok: true, value: { messageId: 'm2' }, replayed: false });
      expect(tool.execute).toHaveBeenCalledTimes(2);
      // Same call, same key on both attempts.
      expect(tool.contexts[0]!.idempotencyKey).toBe(tool.contexts[1]!.idempotencyKey);
    },
  );
});

describe('idempotency: a retry refused by the breaker', () => {
  // A write tool that opts into retries; its first attempt fails and trips the breaker (volumeThreshold 1),
  // so the retry is refused by the open circuit. Execute DID run once: the claim must reflect that attempt.
  const breaker = { volumeThreshold: 1, errorThresholdPercentage: 50, resetTimeoutMs: 1_000 };

  it.each<[string, Partial<Parameters<typeof defineTool>[0]>]>([
    ['circuit_open', {}],
    ['the fallback', { fallback: () => ({ messageId: 'queued' }) }],
  ])(
    'after a 500 (may have been processed), answered by %s: indeterminate, not re-executed',
    async (_l, extra) => {
      const clock = createManualClock();
      const tool = sendTool(
        () => {
          throw httpError(500);
        },
        { retry: { retries: 2 }, breaker, ...extra },
      );
      const t = fixture(tool, { clock });
      const first = await t.call({ sessionId: 's1' }, args);
      expect(tool.execute).toHaveBeenCalledTimes(1);
      expect(t.events('breaker_opened')).toHaveLength(1);
      if (extra.fallback) expect(first).toMatchObject({ ok: true, fallback: true });
      else expect(first).toMatchObject({ ok: false, error: { code: 'circuit_open' } });
      clock.advance(1_000); // the circuit would let a trial through now
      const second = await t.call({ sessionId: 's1' }, args);
      expect(second).toMatchObject({ ok: false, error: { details: { indeterminate: true } } });
      expect(tool.execute).toHaveBeenCalledTimes(1);
    },
  );

  it('after a 503 (surely not processed) the claim is released: the call runs again later', async () => {
    const clock = createManualClock();
    let n = 0;
    const tool = sendTool(
      () => {
        if (++n === 1) throw httpError(503);
        return { messageId: 'm2' };
      },
      { retry: { retries: 2 }, breaker },
    );
    const t = fixture(tool, { clock });
    expect(await t.call({ sessionId: 's1' }, args)).toMatchObject({
      ok: false,
      error: { code: 'circuit_open' },
    });
    clock.advance(1_000);
    expect(await t.call({ sessionId: 's1' }, args)).toMatchObject({ ok: true, value: { messageId: 'm2' } });
    expect(tool.execute).toHaveBeenCalledTimes(2);
  });
});

describe('idempotency: expiry, validation, keys', () => {
  it('a stored result expires after the tool ttlMs (manual clock); then the call executes again', async () => {
    const clock = createManualClock();
    const tool = sendTool(() => ({ messageId: `m@${clock.now()}` }), { idempotency: { ttlMs: 1_000 } });
    const t = fixture(tool, { clock });
    const a = await t.call({ sessionId: 's1' }, args);
    clock.advance(999);
    const b = await t.call({ sessionId: 's1' }, args);
    expect(b).toMatchObject({ ok: true, replayed: true });
    if (a.ok && b.ok) expect(b.value).toEqual(a.value);
    clock.advance(1);
    const c = await t.call({ sessionId: 's1' }, args);
    expect(c).toMatchObject({ ok: true, replayed: false });
    expect(tool.execute).toHaveBeenCalledTimes(2);
  });

  it('the default ttl is 24 h', async () => {
    const clock = createManualClock();
    const tool = sendTool();
    const t = fixture(tool, { clock });
    await t.call({ sessionId: 's1' }, args);
    clock.advance(86_400_000 - 1);
    expect(await t.call({ sessionId: 's1' }, args)).toMatchObject({ ok: true, replayed: true });
    clock.advance(1);
    expect(await t.call({ sessionId: 's1' }, args)).toMatchObject({ ok: true, replayed: false });
    expect(tool.execute).toHaveBeenCalledTimes(2);
  });

  it('an indeterminate record also expires after ttlMs', async () => {
    const clock = createManualClock();
    let n = 0;
    const tool = sendTool(
      () => {
        if (++n === 1) throw httpError(500);
        return { messageId: 'm2' };
      },
      { idempotency: { ttlMs: 5_000 } },
    );
    const t = fixture(tool, { clock });
    await t.call({ sessionId: 's1' }, args);
    expect(await t.call({ sessionId: 's1' }, args)).toMatchObject({
      ok: false,
      error: { details: { indeterminate: true } },
    });
    clock.advance(5_000);
    expect(await t.call({ sessionId: 's1' }, args)).toMatchObject({ ok: true, value: { messageId: 'm2' } });
    expect(tool.execute).toHaveBeenCalledTimes(2);
  });

  it('a validation failure stores nothing: the same explicit key with valid arguments then executes', async () => {
    const tool = sendTool(undefined, {
      rules: [(a) => (a as { to: string }).to.includes('@') || 'to: not an address'],
    });
    const t = fixture(tool);
    const invalid = await t.call(
      { userId: 'u1' },
      { to: 'ada@example.com', body: '' },
      { idempotencyKey: KEY },
    );
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    const broken = await t.call({ userId: 'u1' }, { to: 'nobody', body: 'x' }, { idempotencyKey: KEY });
    expect(broken).toMatchObject({ ok: false, error: { code: 'rule_violation' } });
    expect(tool.execute).not.toHaveBeenCalled();
    const valid = await t.call({ userId: 'u1' }, args, { idempotencyKey: KEY });
    expect(valid).toMatchObject({ ok: true, replayed: false });
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expect(tool.contexts[0]!.idempotencyKey).toBe(KEY);
  });

  it.each<[string, unknown, boolean]>([
    ['15 characters', 'k'.repeat(15), false],
    ['16 characters', 'k'.repeat(16), true],
    ['255 characters', 'k'.repeat(255), true],
    ['256 characters', 'k'.repeat(256), false],
    ['a number', 1_234_567_890_123_456, false],
  ])('an explicit key of %s, accepted: %s', async (_label, key, accepted) => {
    const tool = sendTool();
    const t = fixture(tool);
    const outcome = await t.call({}, args, { idempotencyKey: key as string, callId: 'c1' });
    if (accepted) {
      expect(outcome).toMatchObject({ ok: true });
      expect(tool.contexts[0]!.idempotencyKey).toBe(key);
      return;
    }
    expect(outcome).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    if (!outcome.ok) expect(outcome.error.details).toMatchObject({ issues: [{ path: ['idempotencyKey'] }] });
    expect(tool.execute).not.toHaveBeenCalled();
    expectFailedSpan(t.spanOf('c1'), 'invalid_arguments');
    expect(t.toolCall('c1')).toMatchObject({ outcome: 'invalid_arguments' });
    expect(t.events('tool_intent')).toHaveLength(0);
  });

  it.each<[string, Partial<Parameters<typeof defineTool>[0]>]>([
    ['a write tool with idempotency: false', { idempotency: false }],
    ['a read tool', { effect: 'read' }],
  ])('%s has no key: identical calls all execute', async (_label, extra) => {
    const tool = sendTool(undefined, extra);
    const t = fixture(tool);
    const a = await t.call({ sessionId: 's1' }, args, { callId: 'c1' });
    const b = await t.call({ sessionId: 's1' }, args, { callId: 'c2' });
    expect([a, b]).toMatchObject([
      { ok: true, replayed: false },
      { ok: true, replayed: false },
    ]);
    expect(tool.execute).toHaveBeenCalledTimes(2);
    expect(tool.contexts.map((c) => c.idempotencyKey)).toEqual([undefined, undefined]);
    expect(t.spanOf('c2').attributes).not.toHaveProperty('warden.idempotency.key');
    expect(t.spanOf('c2').attributes).not.toHaveProperty('warden.idempotency.replayed');
    expect(t.toolCall('c2')).not.toHaveProperty('idempotencyKey');
  });

  it('a write tool that opts into retries retries with the same ctx.idempotencyKey', async () => {
    const clock = createManualClock();
    let n = 0;
    const tool = sendTool(
      () => {
        if (++n < 3) throw httpError(503);
        return { messageId: 'm3' };
      },
      { retry: { retries: 2 } },
    );
    const t = fixture(tool, { clock });
    const outcome = await t.call({ sessionId: 's1' }, args, { callId: 'c1' });
    expect(outcome).toMatchObject({ ok: true, value: { messageId: 'm3' } });
    expect(tool.execute).toHaveBeenCalledTimes(3);
    expect(tool.contexts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    const key = tool.contexts[0]!.idempotencyKey;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(tool.contexts.map((c) => c.idempotencyKey)).toEqual([key, key, key]);
    expect(t.events('tool_retry')).toHaveLength(2);
    expect(t.toolCall('c1')).toMatchObject({ attempts: 3, idempotencyKey: key });
    // The completed result is stored under that key.
    expect(await t.call({ sessionId: 's1' }, args)).toMatchObject({ ok: true, replayed: true });
    expect(tool.execute).toHaveBeenCalledTimes(3);
  });

  it('a write tool does not retry by default, even a transient error', async () => {
    const tool = sendTool(() => {
      throw httpError(503);
    });
    const t = fixture(tool);
    await t.call({}, args, { callId: 'c1' });
    expect(tool.execute).toHaveBeenCalledTimes(1);
    expect(t.events('tool_retry')).toHaveLength(0);
  });
});
