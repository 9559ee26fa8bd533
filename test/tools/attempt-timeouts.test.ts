import { createWarden, defineTool, type ToolContext } from 'agent-warden';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Attempt, Deadlines } from '../../src/tools/resilience/attempts.js';

/** A read tool that answers `value` after `ms` of real time, or never (`ms` = null). */
function timedTool(name: string, timeoutMs: number, ms: number | null, seen: ToolContext[]) {
  return defineTool({
    name,
    description: `Answers after ${ms ?? 'never'} ms`,
    input: z.object({}),
    effect: 'read',
    timeoutMs,
    retry: { retries: 0 },
    execute: (_args, ctx) => {
      seen.push(ctx);
      return ms === null
        ? new Promise(() => {})
        : new Promise((resolve) => setTimeout(() => resolve(name), ms));
    },
  });
}

describe('attempt time-outs on one timer per warden', () => {
  it('a shorter time-out started after a longer one still fires first (the timer is re-armed earlier)', async () => {
    const seen: ToolContext[] = [];
    const warden = createWarden({
      tools: [timedTool('long_wait', 5_000, 150, seen), timedTool('short_wait', 20, null, seen)],
    });
    const order: string[] = [];
    const result = await warden.run({ userId: 'u1' }, async (run) => {
      const long = run.tool('long_wait', {}).then((o) => {
        order.push(`long_wait:${o.ok ? 'ok' : o.error.code}`);
        return o;
      });
      const short = run.tool('short_wait', {}).then((o) => {
        order.push(`short_wait:${o.ok ? 'ok' : o.error.code}`);
        return o;
      });
      return Promise.all([long, short]);
    });
    await warden.close();
    expect(result.status).toBe('completed');
    // Timed out at ~20 ms, long before the other call answered at ~150 ms (its own 5 s time-out unused).
    expect(order).toEqual(['short_wait:tool_timeout', 'long_wait:ok']);
    const short = seen.find((ctx) => ctx.toolName === 'short_wait')!;
    const long = seen.find((ctx) => ctx.toolName === 'long_wait')!;
    expect(short.signal.aborted).toBe(true);
    expect(long.signal.aborted).toBe(false);
  });

  it('each attempt gets its own signal; a settled attempt is not aborted when the run later stops', async () => {
    const seen: ToolContext[] = [];
    const warden = createWarden({ tools: [timedTool('quick', 1_000, 1, seen)] });
    const result = await warden.run({ userId: 'u1' }, async (run) => {
      await run.tool('quick', {});
      await run.tool('quick', {});
      warden.kill('global', { reason: 'test' });
      await run.check();
    });
    await warden.close();
    expect(result.status).toBe('stopped');
    expect(seen).toHaveLength(2);
    expect(seen[0]!.signal).not.toBe(seen[1]!.signal);
    expect(seen.map((ctx) => ctx.signal.aborted)).toEqual([false, false]);
  });
});

describe('Deadlines', () => {
  const owner = { inFlight: new Set<Attempt>() };

  it('times out only attempts still pending, in deadline order across time-out lengths', async () => {
    const deadlines = new Deadlines();
    const slow = new Attempt(owner, deadlines, 60);
    const fast = new Attempt(owner, deadlines, 10);
    const answered = new Attempt(owner, deadlines, 10);
    const settled: string[] = [];
    const watch = (name: string, attempt: Attempt) =>
      attempt.promise.then(
        () => settled.push(`${name}:ok`),
        (error: Error) => settled.push(`${name}:${error.name}`),
      );
    const all = Promise.all([watch('slow', slow), watch('fast', fast), watch('answered', answered)]);
    slow.follow(new Promise(() => {}));
    fast.follow(new Promise(() => {}));
    answered.follow(Promise.resolve('value'));
    await all;
    deadlines.close();
    expect(settled).toEqual(['answered:ok', 'fast:AttemptTimeout', 'slow:AttemptTimeout']);
    expect(owner.inFlight.size).toBe(0);
  });

  it('lets thousands of settled attempts go, even behind a hung one: queues stay small, the timer lets the process exit', async () => {
    const deadlines = new Deadlines();
    const first = new Attempt(owner, deadlines, 30_000);
    first.follow(new Promise(() => {}));
    expect(deadlines.pending).toBe(1);
    expect(deadlines.holdsProcess).toBe(true); // a pending attempt must end in tool_timeout
    for (let i = 0; i < 5_000; i++) {
      const attempt = new Attempt(owner, deadlines, 30_000);
      attempt.follow(i);
      await attempt.promise;
    }
    expect(deadlines.pending).toBe(1);
    // Behind the hung attempt, settled entries are dropped in bulk rather than kept for its 30 s.
    expect(deadlines.queued).toBeLessThanOrEqual(1 + 1_025);
    first.abort(new Error('run stopped'));
    await expect(first.promise).rejects.toThrow('run stopped');
    expect(deadlines.pending).toBe(0);
    expect(deadlines.queued).toBe(0);
    expect(deadlines.holdsProcess).toBe(false);
    expect(owner.inFlight.size).toBe(0);
    deadlines.close();
  });
});
