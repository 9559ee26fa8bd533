import {
  type BreakerOptions,
  createWarden,
  defineTool,
  type ToolContext,
  type ToolOutcome,
  WardenConfigError,
} from 'agent-warden';
import { createManualClock, type ManualClock } from 'agent-warden/testing';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { expectFailedSpan, setup } from '../warden/helpers.js';
import { deferred, httpError } from './fixtures.js';

const BREAKER = {
  volumeThreshold: 2,
  errorThresholdPercentage: 50,
  resetTimeoutMs: 1_000,
} satisfies BreakerOptions;

type Behaviour = 'ok' | 'fail' | Promise<unknown>;

/**
 * A read tool without retries whose every call does what the next queued behaviour says
 * (default: 'ok'). Arguments differ per call, so loop detection never interferes.
 */
function chargeTool(
  name = 'charge_card',
  extra: {
    breaker?: BreakerOptions;
    fallback?: (args: { n: number }, ctx: ToolContext, error: unknown) => unknown;
  } = {},
) {
  const queue: Behaviour[] = [];
  const execute = vi.fn(async (_args: { n: number }, _ctx: ToolContext) => {
    const next = queue.shift() ?? 'ok';
    if (next === 'fail') throw httpError(503);
    if (next === 'ok') return 'charged';
    return next;
  });
  const tool = defineTool({
    name,
    description: 'Charge a card',
    input: z.object({ n: z.number() }),
    effect: 'read',
    retry: { retries: 0 },
    breaker: BREAKER,
    ...extra,
    execute,
  });
  return { tool, execute, queue };
}

function fixture(tools: Array<ReturnType<typeof chargeTool>>, clock: ManualClock = createManualClock()) {
  const t = setup({ tools: tools.map((x) => x.tool), clock });
  let n = 0;
  /** One call in a run of its own; returns the outcome and the call's span (once the run ended). */
  const call = async (name = 'charge_card') => {
    const callId = `c${++n}`;
    let outcome: ToolOutcome | undefined;
    const result = await t.warden.run({}, async (run) => {
      outcome = await run.tool(name, { n }, { callId });
    });
    expect(result.status).toBe('completed');
    return { outcome: outcome!, callId, span: spanOf(callId) };
  };
  const spanOf = (callId: string) => {
    const found = t.tracing.spans().filter((s) => s.attributes['gen_ai.tool.call.id'] === callId);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const transitions = () =>
    t.audit.events
      .filter((e) => e.type.startsWith('breaker_'))
      .map((e) => `${e.type}:${(e as { key?: string }).key}`);
  return { ...t, clock, call, spanOf, transitions };
}

const eventNames = (span: { events: Array<{ name: string }> }) => span.events.map((e) => e.name);

describe('circuit breaker: opening', () => {
  it('opens after the threshold; then circuit_open with retryAfterMs, without calling execute', async () => {
    const charge = chargeTool();
    const t = fixture([charge]);
    charge.queue.push('fail', 'fail');
    const first = await t.call();
    expect(first.outcome).toMatchObject({ ok: false, error: { code: 'tool_error' } });
    expect(first.span.attributes['warden.breaker.state']).toBe('closed');
    expect(t.transitions()).toEqual([]);

    const second = await t.call();
    expect(second.outcome).toMatchObject({ ok: false, error: { code: 'tool_error' } });
    expect(second.span.attributes['warden.breaker.state']).toBe('open');
    expect(eventNames(second.span)).toContain('warden.breaker_opened');
    expect(t.transitions()).toEqual(['breaker_opened:charge_card']);
    // The audit event names the run whose call tripped the breaker.
    const opened = t.events('breaker_opened')[0]!;
    expect(opened.runId).toBe(t.events('tool_call')[1]!.runId);

    const refused = await t.call();
    expect(charge.execute).toHaveBeenCalledTimes(2);
    expect(refused.outcome).toMatchObject({
      ok: false,
      error: {
        code: 'circuit_open',
        retryable: true,
        details: { breaker: 'charge_card', retryAfterMs: 1_000 },
      },
    });
    expectFailedSpan(refused.span, 'circuit_open');
    expect(refused.span.attributes['warden.breaker.state']).toBe('open');
    expect(refused.span.attributes['warden.tool.outcome']).toBe('circuit_open');
    expect(t.events('tool_call').at(-1)).toMatchObject({ outcome: 'circuit_open', callId: refused.callId });
    expect(t.events('tool_call').at(-1)).not.toHaveProperty('attempts');

    t.clock.advance(400);
    const later = await t.call();
    expect(later.outcome).toMatchObject({
      ok: false,
      error: { code: 'circuit_open', details: { retryAfterMs: 600 } },
    });
    expect(charge.execute).toHaveBeenCalledTimes(2);
  });

  it('stays closed while the error rate is at or under the threshold', async () => {
    const charge = chargeTool();
    const t = fixture([charge]);
    charge.queue.push('ok', 'fail', 'ok', 'fail');
    for (let i = 0; i < 5; i++) await t.call();
    expect(charge.execute).toHaveBeenCalledTimes(5);
    expect(t.transitions()).toEqual([]);
  });

  it('timeouts count as failures', async () => {
    const charge = chargeTool();
    const hang = defineTool({
      name: 'slow_charge',
      description: 'Charge slowly',
      input: z.object({ n: z.number() }),
      effect: 'read',
      timeoutMs: 10,
      retry: { retries: 0 },
      breaker: { ...BREAKER, key: 'charge_card' },
      execute: vi.fn(() => new Promise(() => {})),
    });
    const t = setup({ tools: [charge.tool, hang], clock: createManualClock() });
    await t.warden.run({}, async (run) => {
      expect(await run.tool('slow_charge', { n: 1 })).toMatchObject({ error: { code: 'tool_timeout' } });
      expect(await run.tool('slow_charge', { n: 2 })).toMatchObject({ error: { code: 'tool_timeout' } });
      expect(await run.tool('charge_card', { n: 3 })).toMatchObject({ error: { code: 'circuit_open' } });
    });
    expect(charge.execute).not.toHaveBeenCalled();
    expect(t.events('breaker_opened')).toHaveLength(1);
  });
});

describe('circuit breaker: half-open and recovery', () => {
  async function opened() {
    const charge = chargeTool();
    const t = fixture([charge]);
    charge.queue.push('fail', 'fail');
    await t.call();
    await t.call();
    expect(t.transitions()).toEqual(['breaker_opened:charge_card']);
    return { t, charge };
  }

  it('after resetTimeoutMs on the clock one trial call runs; its success closes the circuit', async () => {
    const { t, charge } = await opened();
    t.clock.advance(999);
    expect((await t.call()).outcome).toMatchObject({
      error: { code: 'circuit_open', details: { retryAfterMs: 1 } },
    });
    t.clock.advance(1);
    const trial = await t.call();
    expect(trial.outcome).toMatchObject({ ok: true, value: 'charged' });
    expect(charge.execute).toHaveBeenCalledTimes(3);
    expect(t.transitions()).toEqual([
      'breaker_opened:charge_card',
      'breaker_half_open:charge_card',
      'breaker_closed:charge_card',
    ]);
    expect(eventNames(trial.span)).toEqual(
      expect.arrayContaining(['warden.breaker_half_open', 'warden.breaker_closed']),
    );
    expect(trial.span.attributes['warden.breaker.state']).toBe('closed');
    // Closed: calls go through again.
    expect((await t.call()).outcome).toMatchObject({ ok: true });
    expect(charge.execute).toHaveBeenCalledTimes(4);
  });

  it('once closed again, the breaker counts afresh: failures from before it opened do not count', async () => {
    const { t, charge } = await opened();
    t.clock.advance(1_000);
    expect((await t.call()).outcome).toMatchObject({ ok: true }); // the trial closes it
    charge.queue.push('fail');
    expect((await t.call()).outcome).toMatchObject({ error: { code: 'tool_error' } });
    // One failure in a fresh window is under volumeThreshold (2): still closed.
    expect(t.transitions().at(-1)).toBe('breaker_closed:charge_card');
    expect((await t.call()).outcome).toMatchObject({ ok: true });
    expect(charge.execute).toHaveBeenCalledTimes(5);
  });

  it('the transition is reported on the call that caused it, also when calls overlap', async () => {
    const charge = chargeTool();
    const t = fixture([charge]);
    const a = deferred<unknown>();
    const b = deferred<unknown>();
    charge.queue.push(a.promise, b.promise);
    const first = t.call();
    const second = t.call();
    await vi.waitFor(() => expect(charge.execute).toHaveBeenCalledTimes(2));
    // The second call fails first (1 of 2: not over 50 %); the first call's failure then opens the circuit.
    b.reject(httpError(503));
    const late = await second;
    a.reject(httpError(503));
    const tripping = await first;
    expect(t.transitions()).toEqual(['breaker_opened:charge_card']);
    expect(eventNames(tripping.span)).toContain('warden.breaker_opened');
    expect(eventNames(late.span)).not.toContain('warden.breaker_opened');
    const trippingRun = t.events('tool_call').find((e) => e.callId === tripping.callId)!.runId;
    expect(t.events('breaker_opened')[0]!.runId).toBe(trippingRun);
  });

  it('only one trial runs at a time; other calls meanwhile get circuit_open', async () => {
    const { t, charge } = await opened();
    t.clock.advance(1_000);
    const gate = deferred<unknown>();
    charge.queue.push(gate.promise);
    const trial = t.call();
    await vi.waitFor(() => expect(charge.execute).toHaveBeenCalledTimes(3));
    const meanwhile = await t.call();
    expect(meanwhile.outcome).toMatchObject({ ok: false, error: { code: 'circuit_open' } });
    expect(meanwhile.span.attributes['warden.breaker.state']).toBe('half_open');
    expect(charge.execute).toHaveBeenCalledTimes(3);
    gate.resolve('late ok');
    expect((await trial).outcome).toMatchObject({ ok: true, value: 'late ok' });
    expect(t.transitions().at(-1)).toBe('breaker_closed:charge_card');
  });

  it('a failed trial reopens the circuit for another resetTimeoutMs', async () => {
    const { t, charge } = await opened();
    t.clock.advance(1_000);
    charge.queue.push('fail');
    const trial = await t.call();
    expect(trial.outcome).toMatchObject({ ok: false, error: { code: 'tool_error' } });
    expect(trial.span.attributes['warden.breaker.state']).toBe('open');
    expect(t.transitions()).toEqual([
      'breaker_opened:charge_card',
      'breaker_half_open:charge_card',
      'breaker_opened:charge_card',
    ]);
    const refused = await t.call();
    expect(refused.outcome).toMatchObject({
      error: { code: 'circuit_open', details: { retryAfterMs: 1_000 } },
    });
    expect(charge.execute).toHaveBeenCalledTimes(3);
  });

  it('a success that started before the circuit opened closes nothing (open, then half-open)', async () => {
    const charge = chargeTool();
    const t = fixture([charge]);
    const slow = deferred<unknown>();
    const slow2 = deferred<unknown>();
    charge.queue.push(slow.promise, slow2.promise);
    const early = t.call();
    const early2 = t.call();
    await vi.waitFor(() => expect(charge.execute).toHaveBeenCalledTimes(2));
    charge.queue.push('fail', 'fail', 'fail');
    await t.call();
    await t.call();
    await t.call();
    expect(t.transitions()).toEqual(['breaker_opened:charge_card']);

    // The early call succeeds while the circuit is open: it stays open.
    slow.resolve('early ok');
    expect((await early).outcome).toMatchObject({ ok: true, value: 'early ok' });
    expect((await t.call()).outcome).toMatchObject({ error: { code: 'circuit_open' } });

    // Half-open with a trial in flight: another early success must not close it either.
    t.clock.advance(1_000);
    const trialGate = deferred<unknown>();
    charge.queue.push(trialGate.promise);
    const trial = t.call();
    await vi.waitFor(() => expect(charge.execute).toHaveBeenCalledTimes(6));
    slow2.resolve('early ok 2');
    expect((await early2).outcome).toMatchObject({ ok: true });
    expect(t.transitions()).not.toContain('breaker_closed:charge_card');
    expect((await t.call()).outcome).toMatchObject({ error: { code: 'circuit_open' } });

    // Only the trial decides: it fails, so the circuit reopens.
    trialGate.reject(httpError(503));
    expect((await trial).outcome).toMatchObject({ error: { code: 'tool_error' } });
    expect(t.transitions()).toEqual([
      'breaker_opened:charge_card',
      'breaker_half_open:charge_card',
      'breaker_opened:charge_card',
    ]);
    expect((await t.call()).outcome).toMatchObject({
      error: { code: 'circuit_open', details: { retryAfterMs: 1_000 } },
    });
    expect(charge.execute).toHaveBeenCalledTimes(6);
  });
});

describe('circuit breaker: keys, fallback, what counts', () => {
  it('tools sharing a breaker key share one breaker', async () => {
    const charge = chargeTool('charge_card', { breaker: { ...BREAKER, key: 'payments-api' } });
    const refund = chargeTool('refund_card', { breaker: { ...BREAKER, key: 'payments-api' } });
    const other = chargeTool('lookup_card');
    const t = fixture([charge, refund, other]);
    charge.queue.push('fail', 'fail');
    await t.call('charge_card');
    await t.call('charge_card');
    const refused = await t.call('refund_card');
    expect(refused.outcome).toMatchObject({
      error: { code: 'circuit_open', details: { breaker: 'payments-api' } },
    });
    expect(refund.execute).not.toHaveBeenCalled();
    expect(t.transitions()).toEqual(['breaker_opened:payments-api']);
    // A tool with its own (default) key is unaffected.
    expect((await t.call('lookup_card')).outcome).toMatchObject({ ok: true });
    expect(other.execute).toHaveBeenCalledTimes(1);
  });

  it('sharing a key with different options is a WardenConfigError', () => {
    const a = chargeTool('charge_card', { breaker: { ...BREAKER, key: 'payments-api' } });
    const b = chargeTool('refund_card', {
      breaker: { ...BREAKER, key: 'payments-api', volumeThreshold: 10 },
    });
    let thrown: unknown;
    try {
      createWarden({ tools: [a.tool, b.tool] });
    } catch (error) {
      thrown = error;
    }
    expect(WardenConfigError.isInstance(thrown)).toBe(true);
    expect((thrown as WardenConfigError).path).toBe('tools(refund_card).breaker.volumeThreshold');
    expect((thrown as WardenConfigError).message).toContain('payments-api');
    // The same key with the same options is fine.
    const c = chargeTool('lookup_card', { breaker: { ...BREAKER, key: 'payments-api' } });
    expect(() => createWarden({ tools: [a.tool, c.tool] })).not.toThrow();
  });

  it('when open, the fallback answers (ok, fallback: true) and execute is not called', async () => {
    const fallback = vi.fn((args: { n: number }, _ctx: ToolContext, _error: unknown) => `cached #${args.n}`);
    const charge = chargeTool('charge_card', { fallback });
    const t = fixture([charge]);
    charge.queue.push('fail', 'fail');
    await t.call();
    await t.call();
    expect(fallback).not.toHaveBeenCalled();
    const served = await t.call();
    expect(served.outcome).toMatchObject({ ok: true, value: 'cached #3', fallback: true, replayed: false });
    expect(charge.execute).toHaveBeenCalledTimes(2);
    expect(fallback).toHaveBeenCalledTimes(1);
    const [args, ctx, error] = fallback.mock.calls[0]!;
    expect(args).toEqual({ n: 3 });
    expect(ctx).toMatchObject({ toolName: 'charge_card', callId: served.callId });
    expect(error).toMatchObject({ retryAfterMs: 1_000 });
    expect(served.span.attributes['warden.tool.outcome']).toBe('ok');
    expect(served.span.attributes['warden.breaker.state']).toBe('open');
    // No attempt of execute was made (or counted) for the served call.
    expect(served.span.attributes).not.toHaveProperty('warden.tool.attempts');
    expect(t.events('tool_call').at(-1)).toMatchObject({ callId: served.callId, outcome: 'ok' });
    expect(t.events('tool_call').at(-1)).not.toHaveProperty('attempts');
  });

  it("a write tool's fallback value is not stored as the call's result: after recovery the call really runs", async () => {
    const execute = vi.fn(async (a: { to: string }) => {
      if (a.to === 'x') throw httpError(503);
      return 'sent';
    });
    const fallback = vi.fn(() => 'queued for later');
    const tool = defineTool({
      name: 'send_email',
      description: 'Send',
      input: z.object({ to: z.string() }),
      breaker: BREAKER,
      fallback,
      execute,
    });
    const clock = createManualClock();
    const t = setup({ tools: [tool], clock });
    const call = async (to: string) => {
      let outcome: ToolOutcome | undefined;
      await t.warden.run({ sessionId: 's1' }, async (run) => {
        outcome = await run.tool('send_email', { to });
      });
      return outcome!;
    };
    await call('x');
    await t.warden.run({}, (run) => run.tool('send_email', { to: 'x' })); // another scope: not replayed
    expect(t.events('breaker_opened')).toHaveLength(1);
    expect(await call('ada')).toMatchObject({ ok: true, value: 'queued for later', fallback: true });
    clock.advance(1_000);
    expect(await call('ada')).toMatchObject({ ok: true, value: 'sent', replayed: false });
    expect(await call('ada')).toMatchObject({ ok: true, value: 'sent', replayed: true });
    expect(execute).toHaveBeenCalledTimes(3);
    expect(fallback).toHaveBeenCalledTimes(1);
  });

  it('a fallback that throws gives circuit_open', async () => {
    const charge = chargeTool('charge_card', {
      fallback: () => {
        throw new Error('cache empty');
      },
    });
    const t = fixture([charge]);
    charge.queue.push('fail', 'fail');
    await t.call();
    await t.call();
    const refused = await t.call();
    expect(refused.outcome).toMatchObject({ ok: false, error: { code: 'circuit_open' } });
    expectFailedSpan(refused.span, 'circuit_open');
  });

  it('validation failures, rule violations and tool_not_allowed never trip the breaker', async () => {
    const execute = vi.fn(async (a: { n: number }) => {
      if (a.n === 0) throw httpError(503);
      return 'charged';
    });
    const tool = defineTool({
      name: 'charge_card',
      description: 'Charge a card',
      input: z.object({ n: z.number() }),
      rules: [(a) => a.n !== 13 || 'unlucky'],
      effect: 'read',
      retry: { retries: 0 },
      breaker: BREAKER,
      execute,
    });
    const other = defineTool({
      name: 'noop',
      description: 'x',
      input: z.object({}),
      effect: 'read',
      execute: () => 1,
    });
    const t = setup({ tools: [tool, other], clock: createManualClock() });
    await t.warden.run({}, async (run) => {
      // One real failure: one more counted failure would open the circuit (volumeThreshold 2).
      expect(await run.tool('charge_card', { n: 0 })).toMatchObject({ error: { code: 'tool_error' } });
      for (let i = 0; i < 3; i++) {
        expect(await run.tool('charge_card', { n: `bad ${i}` })).toMatchObject({
          error: { code: 'invalid_arguments' },
        });
        expect(await run.tool('charge_card', `{ not json ${i}`)).toMatchObject({
          error: { code: 'invalid_arguments' },
        });
        expect(await run.tool('charge_card', { n: 13 })).toMatchObject({ error: { code: 'rule_violation' } });
        await run.tool('noop', {});
      }
    });
    await t.warden.run({ tools: ['noop'] }, async (run) => {
      for (let i = 0; i < 3; i++) {
        expect(await run.tool('charge_card', { n: i + 1 })).toMatchObject({
          error: { code: 'tool_not_allowed' },
        });
      }
    });
    expect(t.events('breaker_opened')).toHaveLength(0);
    const ok = await t.warden.run({}, (run) => run.tool('charge_card', { n: 1 }));
    expect(ok).toMatchObject({ status: 'completed', output: { ok: true, value: 'charged' } });
    expect(execute).toHaveBeenCalledTimes(2);
  });

  it('a call stopped by a kill says nothing about the dependency: it does not count as a failure', async () => {
    const charge = chargeTool();
    const t = fixture([charge]);
    charge.queue.push('fail', new Promise(() => {}));
    await t.call();
    const running = t.warden.run({ userId: 'u1' }, (run) => run.tool('charge_card', { n: 99 }));
    await vi.waitFor(() => expect(charge.execute).toHaveBeenCalledTimes(2));
    await t.warden.kill({ userId: 'u1' });
    expect(await running).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });
    expect(t.events('breaker_opened')).toHaveLength(0);
    expect((await t.call()).outcome).toMatchObject({ ok: true });
  });
});
