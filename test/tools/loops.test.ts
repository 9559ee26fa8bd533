import { defineTool, type Run, RunStop, type WardenOptions } from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { expectFailedSpan, expectStopped, setup } from '../warden/helpers.js';
import { httpError } from './fixtures.js';

function fixture(options: Omit<WardenOptions, 'audit' | 'telemetry' | 'tools'> = {}, fail = false) {
  const execute = vi.fn(async (a: { q: string; filters?: unknown }) => {
    if (fail) throw httpError(400);
    return { hits: [a.q] };
  });
  const search = defineTool({
    name: 'search_docs',
    description: 'Search',
    input: z.object({ q: z.string(), filters: z.record(z.string(), z.unknown()).optional() }),
    rules: [(a) => a.q !== 'forbidden' || 'that topic is off limits'],
    effect: 'read',
    execute,
  });
  const other = vi.fn(async () => 'ok');
  const lookup = defineTool({
    name: 'lookup',
    description: 'Look up',
    input: z.object({ q: z.string() }),
    effect: 'read',
    execute: other,
  });
  const t = setup({ tools: [search, lookup], ...options });
  /** Make `calls` in one run; records, after each call, how many loop warnings exist. */
  const run = async (calls: Array<[string, unknown]>) => {
    const warningsAfter: number[] = [];
    const thrown: unknown[] = [];
    const result = await t.warden.run({}, async (r: Run) => {
      for (const [i, [name, args]] of calls.entries()) {
        try {
          await r.tool(name, args, { callId: `c${i + 1}` });
        } catch (error) {
          thrown.push(error);
          throw error;
        }
        warningsAfter.push(t.events('loop_warning').length);
      }
      return 'done';
    });
    return { result, warningsAfter, thrown };
  };
  const spanOf = (callId: string) =>
    t.tracing.spans().find((s) => s.attributes['gen_ai.tool.call.id'] === callId)!;
  return { ...t, execute, other, run, spanOf };
}

const same = (n: number, name: string, args: unknown): Array<[string, unknown]> =>
  Array.from({ length: n }, () => [name, args]);

describe('loop detection', () => {
  it('warns at the 3rd identical call and stops the run at the 4th, which never executes', async () => {
    const t = fixture();
    const { result, warningsAfter, thrown } = await t.run(same(4, 'search_docs', { q: 'refund' }));
    expect(warningsAfter).toEqual([0, 0, 1]);
    expect(t.events('loop_warning')).toEqual([expect.objectContaining({ tool: 'search_docs', repeats: 3 })]);
    const runSpan = t.span('invoke_agent agent');
    expect(runSpan.events.filter((e) => e.name === 'warden.loop_warning')).toHaveLength(1);

    expect(t.execute).toHaveBeenCalledTimes(3);
    expect(thrown).toHaveLength(1);
    expect(RunStop.isInstance(thrown[0])).toBe(true);
    expectStopped(t, result, { code: 'loop_detected', tool: 'search_docs', repeats: 4 });
    expect(t.events('loop_detected')).toEqual([expect.objectContaining({ tool: 'search_docs', repeats: 4 })]);
    expectFailedSpan(t.spanOf('c4'), 'loop_detected');
    expect(t.events('tool_call').map((e) => e.outcome)).toEqual(['ok', 'ok', 'ok', 'loop_detected']);
  });

  it('arguments with keys in another order (object or JSON text) are the same call', async () => {
    const t = fixture();
    const { result } = await t.run([
      ['search_docs', { q: 'refund', filters: { lang: 'en', year: 2026 } }],
      ['search_docs', '{"filters":{"year":2026,"lang":"en"},"q":"refund"}'],
      ['search_docs', { filters: { year: 2026, lang: 'en' }, q: 'refund' }],
      ['search_docs', ' {"q":"refund","filters":{"lang":"en","year":2026}} '],
    ]);
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'loop_detected' } });
    expect(t.execute).toHaveBeenCalledTimes(3);
  });

  it('a different call in between resets the count', async () => {
    const t = fixture();
    const a: [string, unknown] = ['search_docs', { q: 'refund' }];
    const { result, warningsAfter } = await t.run([
      a,
      a,
      ['search_docs', { q: 'refunds' }], // other arguments
      a,
      a,
      ['lookup', { q: 'refund' }], // other tool, same arguments
      a,
      a,
      a,
    ]);
    expect(result).toMatchObject({ status: 'completed' });
    expect(warningsAfter).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(t.execute).toHaveBeenCalledTimes(8);
  });

  it.each<[string, string, unknown]>([
    ['a tool that is not allowed', 'delete_everything', { q: 'refund' }],
    ['arguments that fail the schema', 'search_docs', { q: 42 }],
    ['arguments that are not JSON', 'search_docs', '{"q": "refund"'],
    ['arguments that break a rule', 'search_docs', { q: 'forbidden' }],
  ])('%s, repeated unchanged, is a loop too', async (_label, name, args) => {
    const t = fixture();
    const { result, warningsAfter } = await t.run(same(5, name, args));
    expect(warningsAfter).toEqual([0, 0, 1]);
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'loop_detected', repeats: 4 } });
    expect(t.execute).not.toHaveBeenCalled();
    expect(t.events('loop_detected')).toHaveLength(1);
    expectFailedSpan(t.spanOf('c4'), 'loop_detected');
    // The 5th call was never made: the RunStop unwound the loop.
    expect(t.spanOf('c5')).toBeUndefined();
  });

  it('a failing call retried unchanged is a loop: execute runs 3 times, then the run stops', async () => {
    const t = fixture({}, true);
    const { result } = await t.run(same(4, 'search_docs', { q: 'refund' }));
    expect(t.execute).toHaveBeenCalledTimes(3);
    expect(t.events('tool_call').map((e) => e.outcome)).toEqual([
      'tool_error',
      'tool_error',
      'tool_error',
      'loop_detected',
    ]);
    expectStopped(t, result, { code: 'loop_detected' });
  });

  it.each([1, 2, 5])(
    'loops.maxRepeats = %i: warning at that many identical calls, stop at one more',
    async (max) => {
      const t = fixture({ loops: { maxRepeats: max } });
      const { result, warningsAfter } = await t.run(same(max + 1, 'search_docs', { q: 'refund' }));
      expect(warningsAfter).toEqual([...Array.from({ length: max - 1 }, () => 0), 1]);
      expect(t.execute).toHaveBeenCalledTimes(max);
      expect(result).toMatchObject({ status: 'stopped', stop: { code: 'loop_detected', repeats: max + 1 } });
    },
  );

  it('counts per run: the same call in two runs is no loop', async () => {
    const t = fixture();
    expect((await t.run(same(3, 'search_docs', { q: 'refund' }))).result.status).toBe('completed');
    expect((await t.run(same(3, 'search_docs', { q: 'refund' }))).result.status).toBe('completed');
    expect(t.execute).toHaveBeenCalledTimes(6);
    expect(t.events('loop_detected')).toHaveLength(0);
  });

  it('replayed write calls count as repeats too', async () => {
    const execute = vi.fn(async () => 'sent');
    const send = defineTool({
      name: 'send',
      description: 'Send',
      input: z.object({ to: z.string() }),
      execute,
    });
    const t = setup({ tools: [send] });
    const result = await t.warden.run({}, async (run) => {
      for (let i = 0; i < 4; i++) await run.tool('send', { to: 'ada' });
    });
    expect(execute).toHaveBeenCalledTimes(1);
    expect(t.events('tool_call').map((e) => [e.outcome, e.replayed])).toEqual([
      ['ok', false],
      ['ok', true],
      ['ok', true],
      ['loop_detected', undefined],
    ]);
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'loop_detected' } });
  });
});
