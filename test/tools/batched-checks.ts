/**
 * What the batched store work of a tool call (one round trip before `execute`, one after) must not
 * change: a killed run or a refused budget keeps nothing it reserved or claimed, and the checks still
 * end a call in pipeline order. Run against every store (memory here, Redis in test/redis/).
 */
import {
  type AuditEvent,
  createWarden,
  defineTool,
  RunStop,
  type Store,
  type WardenOptions,
} from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const KEY = 'batched-checks-key-0001';

function tools() {
  const execute = vi.fn(async () => ({ sent: true }));
  const send = defineTool({
    name: 'send_email',
    description: 'Sends an email',
    input: z.object({ to: z.string() }),
    execute,
  });
  const search = defineTool({
    name: 'search',
    description: 'Searches',
    input: z.object({ q: z.string() }),
    effect: 'read',
    execute: async () => ({ hits: 0 }),
  });
  return { execute, list: [send, search] };
}

async function stopOf(promise: Promise<unknown>): Promise<RunStop> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!RunStop.isInstance(error)) throw new Error(`expected a RunStop, got ${String(error)}`);
  return error;
}

export function batchedChecks(name: string, makeStore: () => Store): void {
  describe(`batched store checks of a tool call: ${name}`, () => {
    function wardenOn(store: Store, options: Partial<WardenOptions> = {}) {
      const t = tools();
      const events: AuditEvent[] = [];
      const warden = createWarden({ tools: t.list, store, onEvent: (e) => events.push(e), ...options });
      return { ...t, warden, events };
    }
    const usage = (store: Store) => store.budgetUsage([{ key: 'user:-:u1:toolCalls', window: 'day' }]);

    it('a killed run keeps no reservation and no claim of the call it refused', async () => {
      const store = makeStore();
      const budgets = { user: { toolCalls: 10, window: 'day' as const } };
      const here = wardenOn(store, { budgets });
      // Killed from another warden sharing the store: this one learns it from the store, at the call.
      const elsewhere = wardenOn(store);
      const result = await here.warden.run({ userId: 'u1' }, async (run) => {
        await elsewhere.warden.kill({ userId: 'u1' });
        const stop = await stopOf(run.tool('send_email', { to: 'ada' }, { idempotencyKey: KEY }));
        expect(stop.code).toBe('killed');
      });
      expect(result).toMatchObject({ status: 'stopped', stop: { code: 'killed' }, usage: { toolCalls: 0 } });
      expect(here.execute).not.toHaveBeenCalled();
      expect(await usage(store)).toEqual([{ used: 0, reserved: 0 }]);
      // The call ended as at step 1: no tool, no arguments in its record.
      const call = here.events.find((e) => e.type === 'tool_call');
      expect(call).toMatchObject({ outcome: 'killed', tool: 'send_email' });
      expect(call).not.toHaveProperty('effect');
      expect(call).not.toHaveProperty('argsHash');

      // The claim was released: once revived, the same call runs (it is not "in flight").
      await here.warden.revive({ userId: 'u1' });
      const again = await here.warden.run({ userId: 'u1' }, (run) =>
        run.tool('send_email', { to: 'ada' }, { idempotencyKey: KEY }),
      );
      expect(again).toMatchObject({ status: 'completed', output: { ok: true, replayed: false } });
      expect(here.execute).toHaveBeenCalledTimes(1);
      expect(await usage(store)).toEqual([{ used: 1, reserved: 0 }]);
      await Promise.all([here.warden.close(), elsewhere.warden.close()]);
    });

    it('a refused budget keeps no claim: the same call runs once the budget allows it', async () => {
      const store = makeStore();
      const tight = wardenOn(store, { budgets: { user: { toolCalls: 1, window: 'day' } } });
      const result = await tight.warden.run({ userId: 'u1' }, async (run) => {
        expect(await run.tool('search', { q: 'x' })).toMatchObject({ ok: true });
        const stop = await stopOf(run.tool('send_email', { to: 'ada' }, { idempotencyKey: KEY }));
        expect(stop.details).toMatchObject({
          code: 'budget_exceeded',
          scope: 'user',
          dimension: 'toolCalls',
        });
      });
      expect(result).toMatchObject({ status: 'stopped', usage: { toolCalls: 1 } });
      expect(tight.execute).not.toHaveBeenCalled();
      expect(await usage(store)).toEqual([{ used: 1, reserved: 0 }]);
      // The call ended as at step 3: its arguments were never read.
      const refused = tight.events.filter((e) => e.type === 'tool_call').at(-1);
      expect(refused).toMatchObject({ outcome: 'budget_exceeded', effect: 'write' });
      expect(refused).not.toHaveProperty('argsHash');

      const roomy = wardenOn(store, { budgets: { user: { toolCalls: 5, window: 'day' } } });
      const again = await roomy.warden.run({ userId: 'u1' }, (run) =>
        run.tool('send_email', { to: 'ada' }, { idempotencyKey: KEY }),
      );
      expect(again).toMatchObject({ status: 'completed', output: { ok: true, replayed: false } });
      expect(roomy.execute).toHaveBeenCalledTimes(1);
      await Promise.all([tight.warden.close(), roomy.warden.close()]);
    });

    it('the kill switch and the budget still come before the later checks', async () => {
      const store = makeStore();
      const t = wardenOn(store, { budgets: { user: { toolCalls: 1, window: 'day' } } });
      const elsewhere = wardenOn(store);
      // Killed: an unknown tool or invalid arguments still stop the run with `killed`.
      await t.warden.run({ userId: 'u2' }, async (run) => {
        await elsewhere.warden.kill({ userId: 'u2' });
        expect((await stopOf(run.tool('no_such_tool', {}))).code).toBe('killed');
      });
      await t.warden.run({ userId: 'u3' }, async (run) => {
        await elsewhere.warden.kill({ userId: 'u3' });
        expect((await stopOf(run.tool('send_email', { to: 42 }))).code).toBe('killed');
      });
      // Budget used up: invalid arguments still stop the run with `budget_exceeded`.
      const result = await t.warden.run({ userId: 'u1' }, async (run) => {
        await run.tool('search', { q: 'x' });
        expect((await stopOf(run.tool('send_email', { to: 42 }))).code).toBe('budget_exceeded');
      });
      expect(result.status).toBe('stopped');
      // Not killed, budget left: the checks after them answer as before.
      const fine = wardenOn(store, { budgets: { user: { toolCalls: 10, window: 'day' } } });
      await fine.warden.run({ userId: 'u4' }, async (run) => {
        expect(await run.tool('no_such_tool', {})).toMatchObject({ error: { code: 'tool_not_allowed' } });
        expect(await run.tool('send_email', { to: 42 })).toMatchObject({
          error: { code: 'invalid_arguments' },
        });
      });
      expect(await store.budgetUsage([{ key: 'user:-:u4:toolCalls', window: 'day' }])).toEqual([
        { used: 1, reserved: 0 },
      ]);
      await Promise.all([t.warden.close(), elsewhere.warden.close(), fine.warden.close()]);
    });
  });
}
