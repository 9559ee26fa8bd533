import { createWarden, defineTool, memoryAudit, type ToolContext, type ToolOutcome } from 'agent-warden';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A deep copy of `value` with object keys in another order at every depth (a permutation from `seed`). */
function reorder(value: Json, seed: number): Json {
  if (Array.isArray(value)) return value.map((item, i) => reorder(item, seed + i + 1));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  let state = seed >>> 0 || 1;
  for (let i = keys.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  // defineProperty, not assignment: a `__proto__` key must stay an own key, not set the prototype.
  const out: { [key: string]: Json } = {};
  for (const key of keys) {
    Object.defineProperty(out, key, {
      value: reorder(value[key]!, seed + 7),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Nested JSON objects; `__proto__` is left out because plain assignment cannot create it as a key. */
const key = fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__');
const argsArb: fc.Arbitrary<{ [k: string]: Json }> = fc.dictionary(
  key,
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  { maxKeys: 6 },
);

/** A write tool (idempotent by default) taking any JSON object; `execute` is a spy. */
function fixture(execute: (args: unknown, ctx: ToolContext) => Promise<unknown>) {
  const spy = vi.fn(execute);
  const tool = defineTool({
    name: 'charge',
    description: 'Charge a card',
    input: z.record(z.string(), z.unknown()),
    execute: spy,
  });
  const audit = memoryAudit();
  // Loop detection counts per run; these runs make one call each, so it never interferes.
  const warden = createWarden({ tools: [tool], audit });
  return { warden, execute: spy, audit };
}

describe('idempotency properties', () => {
  it('N concurrent identical write calls in one session execute exactly once, whatever the interleaving', async () => {
    const seen = { inFlight: 0, replayed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 6 }), argsArb, async (s, n, args) => {
        const { warden, execute } = fixture(async () => {
          // The side effect finishes whenever the scheduler decides.
          await s.schedule(Promise.resolve(), 'execute finishes');
          return { chargeId: 'ch_1' };
        });
        const runs = Array.from({ length: n }, (_, i) =>
          warden.run({ sessionId: 's1' }, async (run): Promise<ToolOutcome> => {
            // Each call starts at a point the scheduler picks (before, during or after the first one).
            await s.schedule(Promise.resolve(), `call ${i} starts`);
            return run.tool('charge', reorder(args, i));
          }),
        );
        const results = await s.waitFor(Promise.all(runs));
        await warden.close();

        expect(execute).toHaveBeenCalledTimes(1);
        const outcomes = results.map((r) => (r.status === 'completed' ? r.output : r));
        const fresh = outcomes.filter((o) => 'ok' in o && o.ok && !o.replayed);
        expect(fresh).toHaveLength(1);
        for (const o of outcomes) {
          if (o === fresh[0]) continue;
          // Every other call saw the claim in flight or the stored result.
          if ('ok' in o && o.ok) {
            expect(o).toMatchObject({ replayed: true, value: { chargeId: 'ch_1' } });
            seen.replayed++;
          } else {
            expect(o).toMatchObject({ ok: false, error: { code: 'idempotency_in_flight' } });
            seen.inFlight++;
          }
        }
      }),
      { numRuns: 60 },
    );
    // The scheduler really produced both orders: calls that overlapped the first and calls after it.
    expect(seen.inFlight).toBeGreaterThan(0);
    expect(seen.replayed).toBeGreaterThan(0);
  });

  it('arguments with keys in any order at any depth get the same idempotency key', async () => {
    await fc.assert(
      fc.asyncProperty(argsArb, fc.nat(), async (args, seed) => {
        const contexts: ToolContext[] = [];
        const a = fixture(async (_args, ctx) => {
          contexts.push(ctx);
          return 'ok';
        });
        const b = fixture(async (_args, ctx) => {
          contexts.push(ctx);
          return 'ok';
        });
        // Two wardens with their own stores: both execute, so both keys reach ctx.
        await a.warden.run({ sessionId: 's1' }, (run) => run.tool('charge', args));
        await b.warden.run({ sessionId: 's1' }, (run) =>
          run.tool('charge', JSON.stringify(reorder(args, seed))),
        );
        expect(contexts).toHaveLength(2);
        expect(contexts[0]!.idempotencyKey).toMatch(/^[0-9a-f]{64}$/);
        expect(contexts[1]!.idempotencyKey).toBe(contexts[0]!.idempotencyKey);

        // In one warden the reordered call is the same call: replayed, not executed.
        const replay = await a.warden.run({ sessionId: 's1' }, (run) =>
          run.tool('charge', reorder(args, seed + 1)),
        );
        expect(replay).toMatchObject({ status: 'completed', output: { ok: true, replayed: true } });
        expect(a.execute).toHaveBeenCalledTimes(1);
        const calls = a.audit.ofType('tool_call');
        expect(calls.map((e) => e.idempotencyKey)).toEqual([
          contexts[0]!.idempotencyKey,
          contexts[0]!.idempotencyKey,
        ]);
        await a.warden.close();
        await b.warden.close();
      }),
      { numRuns: 60 },
    );
  });

  it('an explicit key reused with different arguments never executes the second call, in any interleaving', async () => {
    const pair = fc
      .tuple(argsArb, argsArb)
      .filter(([x, y]) => JSON.stringify(sortDeep(x)) !== JSON.stringify(sortDeep(y)));
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), pair, fc.boolean(), async (s, [first, second], sameSession) => {
        const { warden, execute } = fixture(async () => {
          await s.schedule(Promise.resolve(), 'execute finishes');
          return 'charged';
        });
        const idempotencyKey = 'client-key-0000000001';
        const call = (args: unknown, sessionId: string) =>
          warden.run({ userId: 'u1', tenantId: 't1', sessionId }, async (run) => {
            await s.schedule(Promise.resolve(), `start ${sessionId}`);
            return run.tool('charge', args, { idempotencyKey });
          });
        const results = await s.waitFor(
          Promise.all([call(first, 's1'), call(second, sameSession ? 's1' : 's2')]),
        );
        await warden.close();

        expect(execute).toHaveBeenCalledTimes(1);
        const outcomes = results.map((r) =>
          r.status === 'completed' ? (r.output as ToolOutcome) : undefined,
        );
        const ran = outcomes.findIndex((o) => o?.ok === true);
        expect(ran).toBeGreaterThanOrEqual(0);
        expect(outcomes[1 - ran]).toMatchObject({ ok: false, error: { code: 'idempotency_conflict' } });
        // What ran is exactly the winner's arguments.
        expect(sortDeep(execute.mock.calls[0]![0] as Json)).toEqual(sortDeep(ran === 0 ? first : second));
        expect(execute.mock.calls[0]![1].idempotencyKey).toBe(idempotencyKey);
      }),
      { numRuns: 60 },
    );
  });
});

function sortDeep(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortDeep(value[k]!)]),
  );
}
