import { RunStop, WardenConfigError } from 'agent-warden';
import { mockTools } from 'agent-warden/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { callOnce, kitWarden, realRefund, realSearch, realSend } from './fixtures.js';

beforeEach(() => {
  vi.clearAllMocks();
});

describe('warden.withTools(mocks)', () => {
  it('returns a new warden: the original keeps its real executes', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ search_docs: { returns: { hits: ['mocked'] } } });
    const test = warden.withTools(mocks);
    expect(test).not.toBe(warden);
    expect(test.toolNames).toEqual(warden.toolNames);
    expect(await callOnce(test, 'search_docs', { q: 'a' })).toMatchObject({
      output: { value: { hits: ['mocked'] } },
    });
    expect(await callOnce(warden, 'search_docs', { q: 'a' })).toMatchObject({
      output: { value: { hits: ['real result for a'] } },
    });
    expect(realSearch).toHaveBeenCalledTimes(1);
  });

  it('keeps every guard: the allowlist and per-run narrowing', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ send_email: { returns: { id: 'm1' } } });
    const test = warden.withTools(mocks);
    const result = await test.run({ userId: 'u1', tools: ['search_docs'] }, async (run) => [
      await run.tool('send_email', { to: 'a@example.com', subject: 's' }),
      await run.tool('delete_account', {}),
    ]);
    expect(result.status === 'completed' && result.output.map((o) => !o.ok && o.error.code)).toEqual([
      'tool_not_allowed',
      'tool_not_allowed',
    ]);
    expect(mocks.send_email.calls).toHaveLength(0);
  });

  it('keeps schema and rules: a refused call never reaches the mock', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ send_email: { returns: { id: 'm1' } } });
    const test = warden.withTools(mocks);
    const bad = await callOnce(test, 'send_email', { to: 'not an email', subject: 's' });
    const ruled = await callOnce(test, 'send_email', { to: 'eve@attacker.test', subject: 's' });
    expect(bad).toMatchObject({ output: { ok: false, error: { code: 'invalid_arguments' } } });
    expect(ruled).toMatchObject({ output: { ok: false, error: { code: 'rule_violation' } } });
    expect(mocks.send_email.calls).toHaveLength(0);
  });

  it('keeps approvals: a gated call is not executed without a token', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ refund_order: { returns: { refundId: 'r1' } } });
    const test = warden.withTools(mocks);
    const result = await callOnce(test, 'refund_order', { orderId: 'o1', amount: 500 });
    expect(result).toMatchObject({ output: { ok: false, error: { code: 'approval_required' } } });
    expect(result.pending).toHaveLength(1);
    expect(mocks.refund_order.calls).toHaveLength(0);
  });

  it('keeps options: budgets, the audit sink and the clock', async () => {
    const { warden, audit } = kitWarden({ budgets: { run: { toolCalls: 1 } } });
    const mocks = mockTools<typeof warden>({ search_docs: { returns: { hits: [] } } });
    const test = warden.withTools(mocks);
    const result = await test.run({ userId: 'u1' }, async (run) => {
      await run.tool('search_docs', { q: 'a' });
      await run.tool('search_docs', { q: 'b' });
    });
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'toolCalls', limit: 1 },
    });
    expect(audit.ofType('run_finished').at(-1)).toMatchObject({ runId: result.runId, status: 'stopped' });
    expect(audit.ofType('run_started').at(-1)?.ts).toBe(Date.UTC(2026, 0, 1));
  });

  it('a mock for a tool the warden does not have is a WardenConfigError naming it', () => {
    const { warden } = kitWarden();
    const mocks = mockTools({ search_docs: { returns: { hits: [] } }, delete_account: { returns: true } });
    expect(() => warden.withTools(mocks)).toThrow(WardenConfigError);
    try {
      warden.withTools(mocks);
    } catch (error) {
      expect((error as WardenConfigError).path).toBe('withTools.delete_account');
      expect((error as Error).message).toMatch(
        /'delete_account' is not a tool of this warden; its tools are: search_docs, send_email, refund_order/,
      );
    }
  });

  it('a replacement without an execute function is a WardenConfigError', () => {
    const { warden } = kitWarden();
    expect(() => warden.withTools({ search_docs: {} as never })).toThrow(/withTools\.search_docs\.execute/);
    expect(() => warden.withTools(null as never)).toThrow(/withTools\(mocks\)/);
  });

  it('an unmocked tool fails loudly: warden.run rejects, the real execute does not run', async () => {
    const { warden } = kitWarden();
    const test = warden.withTools(mockTools({ search_docs: { returns: { hits: [] } } }));
    const error = await callOnce(test, 'send_email', { to: 'a@example.com', subject: 's' }).catch((e) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect(RunStop.isInstance(error)).toBe(false);
    expect((error as WardenConfigError).path).toBe('withTools.send_email');
    expect((error as Error).message).toMatch(/was called but has no mock.*passthrough: true/);
    expect(realSend).not.toHaveBeenCalled();
  });

  it('{ passthrough: true } keeps the real execute of unmocked tools', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ send_email: { returns: { id: 'm1' } } });
    const test = warden.withTools(mocks, { passthrough: true });
    expect(await callOnce(test, 'search_docs', { q: 'a' })).toMatchObject({
      output: { value: { hits: ['real result for a'] } },
    });
    expect(await callOnce(test, 'send_email', { to: 'a@example.com', subject: 's' })).toMatchObject({
      output: { value: { id: 'm1' } },
    });
    expect(realSearch).toHaveBeenCalledTimes(1);
    expect(realSend).not.toHaveBeenCalled();
    expect(realRefund).not.toHaveBeenCalled();
  });

  it('shares the audit sink but does not own it: closing the test warden leaves it open', async () => {
    const events: string[] = [];
    const sink = { write: (e: { type: string }) => void events.push(e.type), close: vi.fn() };
    const { warden } = kitWarden({ audit: sink });
    const test = warden.withTools(mockTools<typeof warden>({ search_docs: { returns: { hits: [] } } }));
    await callOnce(test, 'search_docs', { q: 'a' });
    expect(events).toContain('tool_call');
    await test.close();
    expect(sink.close).not.toHaveBeenCalled();
    await warden.close();
    expect(sink.close).toHaveBeenCalledTimes(1);
  });
});
