import { type ToolContext, WardenConfigError } from 'agent-warden';
import { mockTools, permanentError, transientError } from 'agent-warden/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { callOnce, kitWarden, realSearch, realSend } from './fixtures.js';

beforeEach(() => {
  vi.clearAllMocks();
});

function expectConfigError(fn: () => unknown, path: string, message?: RegExp) {
  try {
    fn();
  } catch (error) {
    expect(WardenConfigError.isInstance(error), String(error)).toBe(true);
    expect((error as WardenConfigError).path).toBe(path);
    if (message) expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected a WardenConfigError at ${path}`);
}

describe('mockTools: value specs', () => {
  it('returns: the value goes through the output schema; the real execute never runs', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ search_docs: { returns: { hits: ['a', 'b'] } } });
    const result = await callOnce(warden.withTools(mocks), 'search_docs', { q: 'refund' });
    expect(result).toMatchObject({ status: 'completed', output: { ok: true, value: { hits: ['a', 'b'] } } });
    expect(realSearch).not.toHaveBeenCalled();
    expect(mocks.search_docs.calls).toHaveLength(1);
    expect(mocks.search_docs.name).toBe('search_docs');
  });

  it('records the validated args and the attempt context of every call', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ send_email: { returns: { id: 'm1' } } });
    const test = warden.withTools(mocks);
    const result = await test.run({ userId: 'u1', sessionId: 's1' }, (run) =>
      run.tool('send_email', JSON.stringify({ to: 'ann@example.com', subject: 'Hi', extra: 1 }), {
        callId: 'call_9',
      }),
    );
    expect(result.status).toBe('completed');
    const [call] = mocks.send_email.calls;
    // Parsed from JSON and stripped of unknown keys by the schema: what the real execute would get.
    expect(call!.args).toEqual({ to: 'ann@example.com', subject: 'Hi' });
    expect(call!.ctx).toMatchObject({
      runId: result.runId,
      callId: 'call_9',
      toolName: 'send_email',
      userId: 'u1',
      sessionId: 's1',
      attempt: 1,
      idempotencyKey: expect.any(String),
    } satisfies Partial<ToolContext>);
    expect(call!.ctx.signal).toBeInstanceOf(AbortSignal);
  });

  it('throws a message: tool_error, not retried (permanent)', async () => {
    const { warden, audit } = kitWarden();
    const mocks = mockTools({ search_docs: { throws: 'index offline' } });
    const result = await callOnce(warden.withTools(mocks), 'search_docs', { q: 'x' });
    expect(result).toMatchObject({
      status: 'completed',
      output: { ok: false, error: { code: 'tool_error', message: 'search_docs failed: index offline' } },
    });
    expect(mocks.search_docs.calls).toHaveLength(1);
    expect(audit.ofType('tool_retry')).toHaveLength(0);
  });

  it('transientError(503) is retried by a read tool; each attempt consumes one sequence entry', async () => {
    const { warden, audit, clock } = kitWarden();
    const start = clock.now();
    const mocks = mockTools<typeof warden>({
      search_docs: [
        { throws: transientError(503) },
        { throws: transientError(429) },
        { returns: { hits: ['third time lucky'] } },
      ],
    });
    const result = await callOnce(warden.withTools(mocks), 'search_docs', { q: 'x' });
    expect(result).toMatchObject({ output: { ok: true, value: { hits: ['third time lucky'] } } });
    expect(mocks.search_docs.calls.map((c) => c.ctx.attempt)).toEqual([1, 2, 3]);
    expect(audit.ofType('tool_retry').map((e) => e.attempt)).toEqual([2, 3]);
    // The backoff waited on the manual clock: no real time passed.
    expect(clock.now()).toBeGreaterThan(start);
    expect(result.usage.toolCalls).toBe(3);
  });

  it('permanentError is never retried', async () => {
    const { warden, audit } = kitWarden();
    const mocks = mockTools({
      search_docs: [{ throws: permanentError('bad query') }, { returns: { hits: [] } }],
    });
    const result = await callOnce(warden.withTools(mocks), 'search_docs', { q: 'x' });
    expect(result).toMatchObject({
      output: {
        ok: false,
        error: { code: 'tool_error', message: 'search_docs failed: bad query', retryable: false },
      },
    });
    expect(mocks.search_docs.calls).toHaveLength(1);
    expect(audit.ofType('tool_retry')).toHaveLength(0);
  });

  it('hangs: settles only when the attempt signal aborts, so the call times out (and is retried)', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools({ search_docs: { hangs: true } });
    const result = await callOnce(warden.withTools(mocks), 'search_docs', { q: 'x' });
    expect(result).toMatchObject({
      output: {
        ok: false,
        error: { code: 'tool_timeout', message: 'search_docs did not answer within 40 ms.' },
      },
    });
    expect(mocks.search_docs.calls).toHaveLength(3);
    expect(mocks.search_docs.calls.every((c) => c.ctx.signal.aborted)).toBe(true);
  });

  it('hangs: a killed run aborts the hanging call at once', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools({ send_email: { hangs: true } });
    const test = warden.withTools(mocks);
    const pending = test.run({ userId: 'u7' }, (run) =>
      run.tool('send_email', { to: 'a@example.com', subject: 's' }),
    );
    await vi.waitFor(() => expect(mocks.send_email.calls).toHaveLength(1));
    await test.kill({ userId: 'u7' }, { reason: 'test' });
    const result = await pending;
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });
  });

  it('hangs: called directly with an already aborted signal, it rejects with the reason', async () => {
    const mocks = mockTools({ x: { hangs: true } });
    const reason = new Error('gone');
    const ctx = { signal: AbortSignal.abort(reason) } as ToolContext;
    await expect(mocks.x.execute({}, ctx)).rejects.toBe(reason);
  });

  it('delayMs waits (real time) before answering, and stops waiting when the attempt aborts', async () => {
    const mocks = mockTools({ slow: { delayMs: 30, returns: 'late' }, slower: { delayMs: 60_000 } });
    const controller = new AbortController();
    const started = Date.now();
    await expect(mocks.slow.execute({}, { signal: controller.signal } as ToolContext)).resolves.toBe('late');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    const waiting = mocks.slower.execute({}, { signal: controller.signal } as ToolContext);
    controller.abort(new Error('timed out'));
    await expect(waiting).rejects.toThrow('timed out');
  });

  it('delayMs longer than the tool timeout → tool_timeout', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools({ search_docs: { delayMs: 10_000, returns: { hits: [] } } });
    const started = Date.now();
    const result = await callOnce(warden.withTools(mocks), 'search_docs', { q: 'x' });
    expect(result).toMatchObject({ output: { ok: false, error: { code: 'tool_timeout' } } });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('malformed: breaks the output schema → invalid_output', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools({ search_docs: { malformed: true } });
    const result = await callOnce(warden.withTools(mocks), 'search_docs', { q: 'x' });
    expect(result).toMatchObject({ output: { ok: false, error: { code: 'invalid_output' } } });
    await expect(mocks.search_docs.execute({}, {} as ToolContext)).resolves.toEqual({ __malformed: true });
  });

  it('{} and { delayMs } alone resolve with undefined', async () => {
    const mocks = mockTools({ a: {}, b: { delayMs: 0 } });
    await expect(mocks.a.execute({}, {} as ToolContext)).resolves.toBeUndefined();
    await expect(mocks.b.execute({}, {} as ToolContext)).resolves.toBeUndefined();
  });
});

describe('mockTools: sequences and functions', () => {
  it('a sequence is consumed one entry per call, in order', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({
      send_email: [{ returns: { id: 'm1' } }, { throws: 'mailbox full' }, { returns: { id: 'm3' } }],
    });
    const test = warden.withTools(mocks);
    const result = await test.run({ userId: 'u1' }, async (run) => {
      const outcomes = [];
      for (const subject of ['a', 'b', 'c']) {
        outcomes.push(await run.tool('send_email', { to: 'ann@example.com', subject }));
      }
      return outcomes.map((o) => (o.ok ? o.value : o.error.code));
    });
    expect(result).toMatchObject({ status: 'completed', output: [{ id: 'm1' }, 'tool_error', { id: 'm3' }] });
    expect(mocks.send_email.calls.map((c) => c.args.subject)).toEqual(['a', 'b', 'c']);
  });

  it('a call past the end of a sequence makes warden.run reject, naming the tool and call number', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools({ send_email: [{ returns: { id: 'm1' } }] });
    const test = warden.withTools(mocks);
    const error = await test
      .run({ userId: 'u1' }, async (run) => {
        await run.tool('send_email', { to: 'ann@example.com', subject: 'one' });
        await run.tool('send_email', { to: 'ann@example.com', subject: 'two' });
      })
      .catch((e: unknown) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect((error as WardenConfigError).path).toBe('mockTools.send_email[1]');
    expect((error as Error).message).toMatch(/send_email was called a 2nd time, but its mock has 1 entry/);
    expect(realSend).not.toHaveBeenCalled();
  });

  it('an empty sequence means "must not be called"', async () => {
    const mocks = mockTools({ send_email: [] });
    await expect(mocks.send_email.execute({}, {} as ToolContext)).rejects.toThrow(
      /send_email was called a 1st time, but its mock has 0 entries/,
    );
  });

  it('a function computes the result from args and ctx; a throw is a tool failure', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({
      search_docs: (args, ctx) => {
        if (args.q === 'boom') throw transientError(500);
        return { hits: [`${args.q} (attempt ${ctx.attempt})`] };
      },
    });
    const test = warden.withTools(mocks);
    expect(await callOnce(test, 'search_docs', { q: 'refund' })).toMatchObject({
      output: { ok: true, value: { hits: ['refund (attempt 1)'] } },
    });
    expect(await callOnce(test, 'search_docs', { q: 'boom' })).toMatchObject({
      output: { ok: false, error: { code: 'tool_error', retryable: true } },
    });
    expect(mocks.search_docs.calls).toHaveLength(4); // 1 + 3 attempts of the transient failure
  });

  it('an async function is awaited', async () => {
    const mocks = mockTools({ x: async (args: { n: number }) => args.n * 2 });
    await expect(mocks.x.execute({ n: 21 }, {} as ToolContext)).resolves.toBe(42);
  });
});

describe('mockTools: bad specs fail loudly at creation', () => {
  it('names the offending key', () => {
    expectConfigError(() => mockTools({ a: { retruns: 1 } as never }), 'mockTools.a.retruns', /unknown key/);
    expectConfigError(
      () => mockTools({ a: { returns: 1, throws: 'x' } }),
      'mockTools.a',
      /at most one of returns, throws, hangs and malformed \(got returns and throws\)/,
    );
    expectConfigError(() => mockTools({ a: [{ returns: 1 }, 'nope' as never] }), 'mockTools.a[1]');
    expectConfigError(() => mockTools({ a: { hangs: 'yes' as never } }), 'mockTools.a.hangs');
    expectConfigError(() => mockTools({ a: { delayMs: -1 } }), 'mockTools.a.delayMs');
    expectConfigError(() => mockTools({ a: { throws: { status: 503 } as never } }), 'mockTools.a.throws');
    expectConfigError(() => mockTools(null as never), 'mockTools(spec)');
  });

  it('transientError and permanentError accept only statuses the warden classifies that way', () => {
    expect(transientError()).toMatchObject({ status: 503, name: 'TransientError' });
    expect(transientError(429, 'slow down')).toMatchObject({ status: 429, message: 'slow down' });
    expect(permanentError('nope')).toMatchObject({ status: 400, message: 'nope', name: 'PermanentError' });
    expect(permanentError('gone', 404).status).toBe(404);
    expectConfigError(() => transientError(400), 'transientError(status)', /408, 425, 429 or 5xx/);
    expectConfigError(() => permanentError('x', 503), 'permanentError(status)');
    expectConfigError(() => permanentError('x', 429), 'permanentError(status)');
  });
});
