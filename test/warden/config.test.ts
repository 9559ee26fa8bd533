import {
  createWarden,
  defineTool,
  type RunOptions,
  WardenConfigError,
  WardenError,
  type WardenOptions,
} from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const SECRET = 'k'.repeat(32);

function tool(name: string, extra: Record<string, unknown> = {}) {
  return defineTool({ name, description: 'A tool', input: z.object({}), execute: () => 'ok', ...extra });
}

/** Call `fn`, expect a WardenConfigError, return it. */
function configError(fn: () => unknown): WardenConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(WardenConfigError.isInstance(caught), `expected a WardenConfigError, got ${String(caught)}`).toBe(
    true,
  );
  const error = caught as WardenConfigError;
  expect(error).toBeInstanceOf(WardenConfigError);
  expect(error).toBeInstanceOf(WardenError);
  expect(error.name).toBe('WardenConfigError');
  expect(error.code).toBe('config_error');
  expect(error.message.startsWith(`${error.path}: `)).toBe(true);
  return error;
}

describe('createWarden option validation', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['an unknown top-level option', { budget: {} }, 'budget', /unknown option 'budget'.*budgets/],
    [
      'an unknown nested option',
      { budgets: { run: { stpes: 5 } } },
      'budgets.run.stpes',
      /unknown option 'stpes'.*steps/,
    ],
    ['an unknown limits option', { limits: { maxArgs: 1 } }, 'limits.maxArgs', /maxArgumentBytes/],
    ['a negative step budget', { budgets: { run: { steps: -1 } } }, 'budgets.run.steps', />= 0/],
    ['a fractional step budget', { budgets: { run: { steps: 1.5 } } }, 'budgets.run.steps', /integer/],
    ['a NaN token budget', { budgets: { run: { tokens: Number.NaN } } }, 'budgets.run.tokens', />= 0/],
    ['an Infinity cost budget', { budgets: { run: { costUsd: Infinity } } }, 'budgets.run.costUsd', /finite/],
    [
      'an Infinity duration',
      { budgets: { run: { durationMs: Infinity } } },
      'budgets.run.durationMs',
      /finite/,
    ],
    [
      'a negative user cost budget',
      { budgets: { user: { costUsd: -0.01 } } },
      'budgets.user.costUsd',
      />= 0/,
    ],
    ['a string budget', { budgets: { session: { steps: '5' } } }, 'budgets.session.steps', /integer/],
    [
      'a bad window',
      { budgets: { tenant: { costUsd: 1, window: 'year' } } },
      'budgets.tenant.window',
      /'hour', 'day', 'week', 'month', 'total'/,
    ],
    ['warnAt 0', { budgets: { warnAt: 0 } }, 'budgets.warnAt', /\(0, 1\]/],
    ['warnAt 2', { budgets: { warnAt: 2 } }, 'budgets.warnAt', /\(0, 1\]/],
    [
      'concurrentRunsPerUser 0',
      { limits: { concurrentRunsPerUser: 0 } },
      'limits.concurrentRunsPerUser',
      />= 1/,
    ],
    ['a price without output', { pricing: { m: { inputPerMTok: 1 } } }, 'pricing.m.outputPerMTok', />= 0/],
    ['a short approval secret', { approvals: { secret: 'short' } }, 'approvals.secret', /32 bytes/],
    ['a bad approval mode', { approvals: { mode: 'later' } }, 'approvals.mode', /'return' or 'interrupt'/],
    ['a store that is not a store', { store: {} }, 'store', /memoryStore\(\)/],
    ['an audit sink without write', { audit: {} }, 'audit', /write/],
    ['a tracer that is not a tracer', { telemetry: { tracer: {} } }, 'telemetry.tracer', /Tracer/],
    ['a clock without now', { clock: Date }, 'clock', /now\(\)/],
    ['tools that are not an array', { tools: tool('a') }, 'tools', /array/],
  ];

  it.each(cases)(
    'rejects %s, naming the option and the accepted values',
    (_label, options, path, message) => {
      const error = configError(() => createWarden(options as WardenOptions));
      expect(error.path).toBe(path);
      expect(error.message).toMatch(message);
    },
  );

  it('accepts an empty options object and no options', () => {
    expect(createWarden().toolNames).toEqual([]);
    expect(createWarden({}).toolNames).toEqual([]);
  });

  it('rejects duplicate tool names', () => {
    const error = configError(() => createWarden({ tools: [tool('a'), tool('b'), tool('a')] }));
    expect(error.path).toBe('tools[2].name');
    expect(error.message).toContain("duplicate tool name 'a'");
  });

  it('rejects an object that was not made with defineTool', () => {
    const error = configError(() =>
      createWarden({
        tools: [{ name: 'x', description: 'd', input: z.object({}), execute: () => 1 } as never],
      }),
    );
    expect(error.path).toBe('tools[0]');
    expect(error.message).toContain('defineTool');
  });

  it('rejects a tool that can need approval when approvals.secret is missing', () => {
    const error = configError(() => createWarden({ tools: [tool('pay', { approval: 'confirm' })] }));
    expect(error.path).toBe('approvals.secret');
    expect(error.message).toContain("'pay'");
    expect(error.message).toContain('32 bytes');
    const fnApproval = configError(() => createWarden({ tools: [tool('pay', { approval: () => 'none' })] }));
    expect(fnApproval.path).toBe('approvals.secret');
  });

  it('accepts an approval-gated tool with a 32-byte secret or a keyring', () => {
    expect(() =>
      createWarden({ tools: [tool('pay', { approval: 'dual' })], approvals: { secret: SECRET } }),
    ).not.toThrow();
    expect(() =>
      createWarden({
        tools: [tool('pay', { approval: 'confirm' })],
        approvals: {
          secret: {
            current: { id: 'k2', secret: SECRET },
            previous: [{ id: 'k1', secret: `${SECRET}-old` }],
          },
        },
      }),
    ).not.toThrow();
  });

  it('rejects a secret of 31 bytes and a keyring with a repeated id', () => {
    expect(configError(() => createWarden({ approvals: { secret: 'k'.repeat(31) } })).path).toBe(
      'approvals.secret',
    );
    const dup = configError(() =>
      createWarden({
        approvals: {
          secret: { current: { id: 'k', secret: SECRET }, previous: [{ id: 'k', secret: `${SECRET}-old` }] },
        },
      }),
    );
    expect(dup.path).toBe('approvals.secret');
    const sharedSecret = configError(() =>
      createWarden({
        approvals: {
          secret: { current: { id: 'k2', secret: SECRET }, previous: [{ id: 'k1', secret: SECRET }] },
        },
      }),
    );
    expect(sharedSecret.message).toMatch(/share one secret/);
  });
});

describe('defineTool validation', () => {
  it.each(['bad name', '', 'a'.repeat(65), 'naïve', 'a.b', 'x/y'])('rejects the tool name %j', (name) => {
    const error = configError(() => tool(name));
    expect(error.path).toBe('tool.name');
    expect(error.message).toContain('A-Z a-z 0-9 _ -');
  });

  it('rejects an input that is not a zod schema', () => {
    const error = configError(() =>
      defineTool({ name: 'x', description: 'd', input: { type: 'object' } as never, execute: () => 1 }),
    );
    expect(error.path).toBe('tool(x).input');
    expect(error.message).toContain('zod schema');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing execute', { execute: undefined }, 'tool(x).execute'],
    ['a bad effect', { effect: 'delete' }, 'tool(x).effect'],
    ['a bad approval', { approval: 'maybe' }, 'tool(x).approval'],
    ['a zero timeout', { timeoutMs: 0 }, 'tool(x).timeoutMs'],
    ['an Infinity timeout', { timeoutMs: Infinity }, 'tool(x).timeoutMs'],
    ['a rule that is not a function', { rules: ['x'] }, 'tool(x).rules[0]'],
    ['too many retries', { retry: { retries: 100 } }, 'tool(x).retry.retries'],
  ])('rejects %s', (_label, extra, path) => {
    expect(configError(() => tool('x', extra)).path).toBe(path);
  });
});

describe('run option validation', () => {
  const warden = createWarden({ tools: [tool('a'), tool('b')] });

  const cases: Array<[string, unknown, string, RegExp]> = [
    [
      'an unregistered tools entry',
      { tools: ['a', 'c'] },
      'run.tools[1]',
      /'c' is not a tool.*registered tools: a, b/,
    ],
    ['an inherited name in tools', { tools: ['constructor'] }, 'run.tools[0]', /not a tool/],
    ['tools as a string', { tools: 'a' }, 'run.tools', /array/],
    ['a numeric userId', { userId: 5 }, 'run.userId', /string/],
    ['an empty tenantId', { tenantId: '' }, 'run.tenantId', /non-empty/],
    ['a signal that is not an AbortSignal', { signal: {} }, 'run.signal', /AbortSignal/],
    ['a negative run budget', { budgets: { steps: -1 } }, 'run.budgets.steps', />= 0/],
    ['an unknown run option', { user: 'u1' }, 'run.user', /unknown option 'user'.*userId/],
    ['approvals that are not strings', { approvals: [1] }, 'run.approvals[0]', /string/],
  ];

  it.each(cases)('rejects %s', async (_label, options, path, message) => {
    const fn = vi.fn();
    const error = await warden.run(options as RunOptions, fn).catch((e: unknown) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect((error as WardenConfigError).path).toBe(path);
    expect((error as Error).message).toMatch(message);
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects a fn that is not a function', async () => {
    const error = await warden.run({}, 'not a function' as never).catch((e: unknown) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect((error as WardenConfigError).path).toBe('run(fn)');
  });

  it('rejects a bad model spec inside a run', async () => {
    const error = await warden
      .run({}, (run) => run.model({ model: '' }, async () => ({})))
      .catch((e: unknown) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect((error as WardenConfigError).path).toBe('run.model(spec).model');
    const estimate = await warden
      .run({}, (run) => run.model({ model: 'm', estimate: { inputTokens: -1 } }, async () => ({})))
      .catch((e: unknown) => e);
    expect((estimate as WardenConfigError).path).toBe('run.model(spec).estimate.inputTokens');
  });
});
