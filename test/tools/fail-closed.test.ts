import {
  type AuditEvent,
  createWarden,
  defineTool,
  memoryStore,
  type ToolOutcome,
  type WardenOptions,
} from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { inMemoryTracing } from '../support/otel.js';
import { expectFailedSpan } from '../warden/helpers.js';
import { faultyStore, flakySink } from './fixtures.js';

function tools() {
  const send = vi.fn(async () => ({ messageId: 'm1' }));
  const search = vi.fn(async () => ({ hits: 1 }));
  return {
    send,
    search,
    list: [
      defineTool({
        name: 'send_email',
        description: 'Send',
        input: z.object({ to: z.string() }),
        execute: send,
      }),
      defineTool({
        name: 'search_docs',
        description: 'Search',
        input: z.object({ q: z.string() }),
        effect: 'read',
        execute: search,
      }),
    ],
  };
}

/** A warden with the given sink / store, real OTel spans, and every event also collected via onEvent. */
function fixture(options: Pick<WardenOptions, 'audit' | 'store' | 'limits' | 'budgets'>) {
  const tracing = inMemoryTracing();
  const all: AuditEvent[] = [];
  const t = tools();
  const warden = createWarden({
    tools: t.list,
    telemetry: { tracer: tracing.tracer },
    onEvent: (e) => all.push(e),
    ...options,
  });
  let n = 0;
  const spanOf = (callId: string) =>
    tracing.spans().find((s) => s.attributes['gen_ai.tool.call.id'] === callId)!;
  /** One call in a run of its own session 's1'; `before` runs inside the run first. */
  const call = async (name: string, args: unknown, before?: () => void) => {
    const callId = `c${++n}`;
    let outcome: ToolOutcome | undefined;
    const result = await warden.run({ sessionId: 's1' }, async (run) => {
      before?.();
      outcome = await run.tool(name, args, { callId });
    });
    expect(result.status).toBe('completed');
    return {
      outcome: outcome!,
      span: spanOf(callId),
      callId,
      event: all.find((e) => e.type === 'tool_call' && e.callId === callId),
    };
  };
  return { ...t, warden, tracing, all, call };
}

describe('fail closed: audit sink', () => {
  it.each(['throw', 'reject'] as const)(
    'a write tool whose intent cannot be written (sink write %ss) is not executed: audit_unavailable',
    async (mode) => {
      let failNext = true;
      const sink = flakySink((e) => {
        if (e.type !== 'tool_intent' || !failNext) return undefined;
        failNext = false;
        return mode;
      });
      const t = fixture({ audit: sink });
      const first = await t.call('send_email', { to: 'ada' });
      expect(first.outcome).toMatchObject({
        ok: false,
        error: { code: 'audit_unavailable', retryable: true },
      });
      expect(t.send).not.toHaveBeenCalled();
      expectFailedSpan(first.span, 'audit_unavailable');
      expect(first.event).toMatchObject({ outcome: 'audit_unavailable' });
      expect(sink.kept.ofType('tool_call')).toEqual([
        expect.objectContaining({ outcome: 'audit_unavailable' }),
      ]);
      expect(sink.kept.ofType('tool_intent')).toHaveLength(0);
      expect(sink.failures).toBe(1);

      // The idempotency claim was released: the identical call, with the sink back, executes.
      const second = await t.call('send_email', { to: 'ada' });
      expect(second.outcome).toMatchObject({ ok: true, replayed: false });
      expect(t.send).toHaveBeenCalledTimes(1);
      expect(sink.kept.ofType('tool_intent')).toEqual([expect.objectContaining({ callId: second.callId })]);
    },
  );

  it('the intent is in the sink before execute runs', async () => {
    const order: string[] = [];
    const t = tools();
    t.send.mockImplementation(async () => {
      order.push('execute');
      return { messageId: 'm1' };
    });
    const warden = createWarden({
      tools: t.list,
      audit: {
        write: async (e) => {
          await new Promise((resolve) => setTimeout(resolve, 5)); // a slow disk
          order.push(e.type);
        },
      },
    });
    const intents: AuditEvent[] = [];
    const warden2 = createWarden({
      tools: t.list,
      onEvent: (e) => e.type === 'tool_intent' && intents.push(e),
    });
    await warden.run({}, (run) => run.tool('send_email', { to: 'ada' }));
    await warden2.run({}, (run) => run.tool('send_email', { to: 'ada' }));
    expect(intents).toEqual([
      expect.objectContaining({
        tool: 'send_email',
        effect: 'write',
        argsHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        idempotencyKey: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
    expect(order.indexOf('tool_intent')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('tool_intent')).toBeLessThan(order.indexOf('execute'));
  });

  it('a read tool still executes when the sink fails on every write, and the run completes', async () => {
    const sink = flakySink(() => 'throw');
    const t = fixture({ audit: sink });
    const { outcome, span } = await t.call('search_docs', { q: 'refund' });
    expect(outcome).toMatchObject({ ok: true, value: { hits: 1 } });
    expect(t.search).toHaveBeenCalledTimes(1);
    expect(span.attributes['warden.tool.outcome']).toBe('ok');
    expect(sink.failures).toBeGreaterThanOrEqual(3); // run_started, tool_call, run_finished
    // The failures are visible on the run span.
    const runSpan = t.tracing.spans().find((s) => s.name === 'invoke_agent agent')!;
    expect(runSpan.events.some((e) => e.name === 'warden.audit_failed')).toBe(true);
  });

  it('an async sink that rejects every write never crashes a run or leaks an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sink = flakySink(() => 'reject');
      const t = fixture({ audit: sink });
      const read = await t.call('search_docs', { q: 'refund' });
      expect(read.outcome.ok).toBe(true);
      const write = await t.call('send_email', { to: 'ada' });
      expect(write.outcome).toMatchObject({ ok: false, error: { code: 'audit_unavailable' } });
      expect(t.send).not.toHaveBeenCalled();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('fail closed: store', () => {
  it('the default memory store, full of live keys, answers in the same tick and still fails closed', async () => {
    // memoryStore answers the warden's batches without promises (its in-process path): a part that
    // throws there (no room for the claim) must come back as a failed part, not escape the pipeline.
    const t = fixture({ store: memoryStore({ maxKeys: 3 }) });
    const outcomes: ToolOutcome[] = [];
    for (let i = 0; i < 4; i++) outcomes.push((await t.call('send_email', { to: `ada${i}` })).outcome);
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({
      ok: false,
      error: { code: 'store_unavailable', retryable: true, details: { operation: 'claim' } },
    });
    expect(t.send).toHaveBeenCalledTimes(outcomes.length - refused.length);
  });

  it('a store whose claim throws: write tool store_unavailable, not executed', async () => {
    const { store, faults } = faultyStore();
    faults.set('claim', 'throw');
    const t = fixture({ store });
    const { outcome, span, event } = await t.call('send_email', { to: 'ada' });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'store_unavailable', retryable: true, details: { operation: 'claim' } },
    });
    expect(t.send).not.toHaveBeenCalled();
    expectFailedSpan(span, 'store_unavailable');
    expect(span.events.find((e) => e.name === 'warden.store_error')?.attributes).toMatchObject({
      'warden.store.operation': 'claim',
    });
    expect(event).toMatchObject({ outcome: 'store_unavailable' });
    expect(t.all.filter((e) => e.type === 'tool_intent')).toHaveLength(0);
  });

  it('a store whose findKill throws (after the run started): write tool store_unavailable', async () => {
    const { store, faults } = faultyStore();
    const t = fixture({ store });
    const { outcome, span } = await t.call('send_email', { to: 'ada' }, () =>
      faults.set('findKill', 'throw'),
    );
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'store_unavailable', details: { operation: 'findKill' } },
    });
    expect(t.send).not.toHaveBeenCalled();
    expectFailedSpan(span, 'store_unavailable');
  });

  it('a read tool is refused too when the store fails and the store is not failOpen', async () => {
    const { store, faults } = faultyStore();
    const t = fixture({ store });
    const { outcome, span } = await t.call('search_docs', { q: 'refund' }, () =>
      faults.set('findKill', 'throw'),
    );
    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_unavailable' } });
    expect(t.search).not.toHaveBeenCalled();
    expectFailedSpan(span, 'store_unavailable');
  });

  it('with failOpen: { reads: true } a read tool executes through a store outage; a write tool still does not', async () => {
    const { store, faults } = faultyStore({ failOpen: { reads: true } });
    const t = fixture({ store });
    const read = await t.call('search_docs', { q: 'refund' }, () => faults.set('findKill', 'throw'));
    expect(read.outcome).toMatchObject({ ok: true, value: { hits: 1 } });
    expect(t.search).toHaveBeenCalledTimes(1);
    // The outage is still recorded on the span.
    expect(read.span.events.some((e) => e.name === 'warden.store_error')).toBe(true);
    faults.clear();
    const write = await t.call('send_email', { to: 'ada' }, () => faults.set('findKill', 'throw'));
    expect(write.outcome).toMatchObject({ ok: false, error: { code: 'store_unavailable' } });
    faults.clear();
    const writeClaim = await t.call('send_email', { to: 'ada' }, () => faults.set('claim', 'throw'));
    expect(writeClaim.outcome).toMatchObject({ ok: false, error: { code: 'store_unavailable' } });
    expect(t.send).not.toHaveBeenCalled();
  });

  it.each([
    [false, 'read', false],
    [true, 'read', true],
    [true, 'write', false],
  ] as const)(
    'a failing scoped-budget reservation (failOpen.reads %s): a %s tool executes: %s',
    async (failOpen, effect, executes) => {
      const { store, faults } = faultyStore(failOpen ? { failOpen: { reads: true } } : {});
      const t = fixture({ store, budgets: { session: { toolCalls: 100 } } });
      const [name, args, spy] =
        effect === 'read'
          ? (['search_docs', { q: 'x' }, t.search] as const)
          : (['send_email', { to: 'ada' }, t.send] as const);
      const { outcome } = await t.call(name, args, () => faults.set('reserve', 'throw'));
      if (executes) {
        expect(outcome).toMatchObject({ ok: true });
        expect(spy).toHaveBeenCalledTimes(1);
      } else {
        expect(outcome).toMatchObject({
          ok: false,
          error: { code: 'store_unavailable', details: { operation: 'reserve' } },
        });
        expect(spy).not.toHaveBeenCalled();
      }
    },
  );

  it('a store operation that never settles fails closed after limits.storeTimeoutMs', async () => {
    const { store, faults } = faultyStore();
    faults.set('claim', 'hang');
    const t = fixture({ store, limits: { storeTimeoutMs: 50 } });
    const started = Date.now();
    const { outcome, span } = await t.call('send_email', { to: 'ada' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(2_000);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_unavailable' } });
    expect(t.send).not.toHaveBeenCalled();
    expect(
      span.events.find((e) => e.name === 'warden.store_error')?.attributes?.['exception.message'],
    ).toMatch(/did not answer within 50 ms/);
  });

  it('a hanging findKill fails a read tool closed after the timeout too', async () => {
    const { store, faults } = faultyStore();
    const t = fixture({ store, limits: { storeTimeoutMs: 50 } });
    const { outcome } = await t.call('search_docs', { q: 'x' }, () => faults.set('findKill', 'hang'));
    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_unavailable' } });
    expect(t.search).not.toHaveBeenCalled();
  });

  it('a store that fails while completing a claim does not change the outcome already reached', async () => {
    const { store, faults } = faultyStore();
    faults.set('complete', 'throw');
    const t = fixture({ store });
    const first = await t.call('send_email', { to: 'ada' });
    expect(first.outcome).toMatchObject({ ok: true, value: { messageId: 'm1' } });
    expect(first.span.events.some((e) => e.name === 'exception')).toBe(true);
    // The claim was never completed, so the key stays in flight (until its lease): no second execution.
    faults.clear();
    const second = await t.call('send_email', { to: 'ada' });
    expect(second.outcome).toMatchObject({ ok: false, error: { code: 'idempotency_in_flight' } });
    expect(t.send).toHaveBeenCalledTimes(1);
  });
});
