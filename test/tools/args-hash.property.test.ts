import { createWarden, defineTool, type ModelSpec, memoryAudit } from 'agent-warden';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { completion } from '../warden/helpers.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A deep copy of `value` whose object keys are permuted at every depth (deterministically, from `seed`). */
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
  const out: { [key: string]: Json } = {};
  for (const key of keys)
    Object.defineProperty(out, key, {
      value: reorder(value[key]!, seed + 7),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

const argsArb = fc.dictionary(
  fc.string({ maxLength: 8 }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  {
    maxKeys: 8,
  },
);

function hasher() {
  const audit = memoryAudit();
  const tool = defineTool({
    name: 'echo',
    description: 'Echo',
    input: z.record(z.string(), z.unknown()),
    effect: 'read',
    execute: () => 'ok',
  });
  const warden = createWarden({ tools: [tool], audit });
  /** The argsHash the warden records for each raw argument value, in order. */
  return async (...raws: unknown[]) => {
    audit.clear();
    await warden.run({}, async (run) => {
      for (const raw of raws) await run.tool('echo', raw);
    });
    return audit.ofType('tool_call').map((e) => {
      expect(e.outcome).toBe('ok');
      return e.argsHash;
    });
  };
}

describe('args hash', () => {
  it('does not depend on key order, nor on whether args arrive as JSON text or an object', async () => {
    const hashes = hasher();
    await fc.assert(
      fc.asyncProperty(argsArb, fc.integer(), async (args, seed) => {
        const shuffled = reorder(args, seed);
        const [a, b, c] = await hashes(JSON.stringify(args), JSON.stringify(shuffled), shuffled);
        expect(a).toMatch(/^[0-9a-f]{64}$/);
        expect(b).toBe(a);
        expect(c).toBe(a);
      }),
      {
        numRuns: 100,
        examples: [
          [
            JSON.parse('{"__proto__":{"x":1},"constructor":2,"b":[{"z":1,"a":2}]}') as Record<string, Json>,
            3,
          ],
          [{ é: 1, e: 2, E: 3, '': 4, '10': 5, '9': 6 }, 11],
        ],
      },
    );
  });

  it('changes when a value changes', async () => {
    const hashes = hasher();
    await fc.assert(
      fc.asyncProperty(argsArb, fc.string({ maxLength: 8 }), async (args, key) => {
        const changed = { ...args, [key]: ['changed', args[key] ?? null] };
        const [a, b] = await hashes(JSON.stringify(args), JSON.stringify(changed));
        expect(b).not.toBe(a);
      }),
      { numRuns: 50 },
    );
  });
});

describe('scoped budget under any interleaving', () => {
  const gpt: ModelSpec = { provider: 'openai', model: 'gpt-test' };

  it('concurrent runs of one user never spend more than the user budget when usage <= estimate', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 8 }),
        async (s, runs, limit, actuals) => {
          const warden = createWarden({ budgets: { user: { tokens: limit } } });
          let call = 0;
          const spec: ModelSpec = { ...gpt, estimate: { inputTokens: 100, outputTokens: 100 } };
          const all = Promise.all(
            Array.from({ length: runs }, () =>
              warden.run({ userId: 'u1' }, async (run) => {
                for (;;) {
                  await run.model(spec, () => {
                    const tokens = actuals[call++ % actuals.length]!;
                    return s.schedule(Promise.resolve(completion(tokens, tokens)));
                  });
                }
              }),
            ),
          );
          const results = await s.waitFor(all);
          const spent = results.reduce((sum, r) => sum + r.usage.inputTokens + r.usage.outputTokens, 0);
          expect(spent).toBeLessThanOrEqual(limit);
          for (const r of results) expect(r.status).toBe('stopped');
          if (limit >= 200) expect(call).toBeGreaterThan(0);
          await warden.close();
        },
      ),
      { numRuns: 50 },
    );
  });
});
