import { createHash } from 'node:crypto';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  defineTool,
  type PendingApproval,
  RunStop,
  type ToolContext,
  type ToolOutcome,
  WardenError,
} from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { expectFailedSpan } from '../warden/helpers.js';
import {
  ARGS,
  approvalSetup,
  approvedToken,
  callTool,
  expectInvalid,
  expectRequired,
  requestApproval,
  TOOL,
  type Transfer,
  TTL_MS,
  transferTool,
  WHO,
} from './helpers.js';

const SPAN = `execute_tool ${TOOL}`;

function gated(options: Parameters<typeof approvalSetup>[0] = {}) {
  const { tool, execute } = transferTool();
  const t = approvalSetup({ tools: [tool], ...options });
  return { ...t, execute };
}

function mustThrow(promise: Promise<unknown>, code: string) {
  return expect(promise).rejects.toSatisfy(
    (error: unknown) => WardenError.isInstance(error) && error.code === code,
    `expected a WardenError with code ${code}`,
  );
}

/** sha256 of canonical JSON (sorted keys) of a flat object. */
function canonicalHash(value: Record<string, unknown>): string {
  const sorted = Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, value[k]]),
  );
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

describe("mode 'return' (default)", () => {
  it('a gated call without a token is not executed: approval_required, a stored and audited PendingApproval', async () => {
    const t = gated();
    const requestedAt = t.clock.now();
    const { outcome, result } = await callTool(
      t,
      { amount: 5000, to: 'acct-42', memo: 'rent', junk: 1 },
      {
        call: { callId: 'call_1' },
      },
    );
    expect(t.execute).not.toHaveBeenCalled();
    expectRequired(outcome);
    if (outcome.ok) return;
    expect(outcome.error.retryable).toBe(false);
    expect(outcome.callId).toBe('call_1');
    const pending = outcome.pending!;
    expect(pending).toEqual({
      id: expect.any(String),
      tool: TOOL,
      // The validated arguments (unknown keys stripped by the schema), not the raw ones.
      args: ARGS,
      argsHash: canonicalHash(ARGS),
      level: 'confirm',
      summary: expect.stringContaining(TOOL),
      userId: 'alice',
      tenantId: 'acme',
      runId: result.runId,
      requestedAt,
      expiresAt: requestedAt + TTL_MS,
    } satisfies PendingApproval);
    expect(outcome.error.details).toEqual({ pendingId: pending.id, level: 'confirm' });
    // The model is told to stop and ask; the pending id and token are not in its text.
    expect(outcome.forModel()).toContain('approval');
    expect(result.status).toBe('completed');
    expect(result.pending).toEqual([pending]);
    expect(await t.warden.pending()).toEqual([pending]);
    expect(t.events('approval_requested')).toEqual([
      expect.objectContaining({
        pendingId: pending.id,
        tool: TOOL,
        level: 'confirm',
        argsHash: pending.argsHash,
        runId: result.runId,
        userId: 'alice',
        tenantId: 'acme',
      }),
    ]);
    expect(t.events('tool_call')).toEqual([
      expect.objectContaining({ outcome: 'approval_required', callId: 'call_1', argsHash: pending.argsHash }),
    ]);
    const span = t.span(SPAN);
    expectFailedSpan(span, 'approval_required');
    expect(span.attributes['warden.approval.id']).toBe(pending.id);
    expect(span.events.map((e) => [e.name, e.attributes])).toContainEqual([
      'warden.approval_requested',
      { 'warden.approval.id': pending.id, 'warden.approval.level': 'confirm' },
    ]);
  });

  it('the same call repeated in one run creates only one pending approval', async () => {
    const t = gated();
    const outcomes: ToolOutcome[] = [];
    const result = await t.warden.run({ ...WHO }, async (run) => {
      outcomes.push(await run.tool(TOOL, ARGS));
      outcomes.push(await run.tool(TOOL, { memo: 'rent', amount: 5000, to: 'acct-42' }));
      outcomes.push(await run.tool(TOOL, { ...ARGS, amount: 6000 }));
    });
    for (const o of outcomes) expectRequired(o);
    const ids = outcomes.map((o) => (o.ok ? undefined : o.pending?.id));
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(result.pending.map((p) => p.id)).toEqual([ids[0], ids[2]]);
    expect(t.events('approval_requested')).toHaveLength(2);
    expect(await t.warden.pending()).toHaveLength(2);
    expect(t.execute).not.toHaveBeenCalled();
  });
});

describe("mode 'interrupt'", () => {
  it('stops the run with approval_required; result.pending has it; execute is not called', async () => {
    const t = gated({ approvals: { mode: 'interrupt' } });
    const after = vi.fn();
    const result = await t.warden.run({ ...WHO }, async (run) => {
      await run.tool(TOOL, ARGS);
      after();
      return 'finished';
    });
    expect(t.execute).not.toHaveBeenCalled();
    expect(after).not.toHaveBeenCalled();
    expect(result.status).toBe('stopped');
    if (result.status !== 'stopped') return;
    expect(result.pending).toHaveLength(1);
    const pending = result.pending[0]!;
    expect(result.stop).toMatchObject({ code: 'approval_required', pendingId: pending.id, tool: TOOL });
    expect(await t.warden.pending()).toEqual([pending]);
    expect(t.events('approval_requested')).toHaveLength(1);
    expect(t.events('run_finished')).toEqual([
      expect.objectContaining({ status: 'stopped', stopCode: 'approval_required' }),
    ]);
    expect(t.span(SPAN).attributes['warden.approval.id']).toBe(pending.id);

    // Approved, the action runs on its own; the interrupted run is not resumed.
    const granted = await t.warden.approve(pending.id, { approver: 'bob' });
    if (granted.status !== 'approved') throw new Error('expected a token');
    const outcome = await t.warden.executeApproved(granted.token, { ...WHO });
    expect(outcome.ok).toBe(true);
    expect(t.execute).toHaveBeenCalledTimes(1);
    expect(after).not.toHaveBeenCalled();
  });

  it('a caller catching the RunStop cannot continue past it', async () => {
    const t = gated({ approvals: { mode: 'interrupt' } });
    const result = await t.warden.run({ ...WHO }, async (run) => {
      try {
        await run.tool(TOOL, ARGS);
      } catch (error) {
        expect(RunStop.isInstance(error)).toBe(true);
      }
      return run.tool(TOOL, { ...ARGS, amount: 1 });
    });
    expect(result.status).toBe('stopped');
    expect(t.execute).not.toHaveBeenCalled();
  });
});

describe('approval as a function of (args, ctx)', () => {
  it("gates only what it says: amount > 1000 → 'confirm', else runs without approval", async () => {
    const level = vi.fn((args: Transfer) => (args.amount > 1000 ? ('confirm' as const) : ('none' as const)));
    const { tool, execute } = transferTool(level);
    const t = approvalSetup({ tools: [tool] });
    const small = await callTool(t, { ...ARGS, amount: 500 });
    expect(small.outcome.ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(small.result.pending).toEqual([]);
    const big = await callTool(t, { ...ARGS, amount: 1001 });
    expectRequired(big.outcome);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(level).toHaveBeenCalledWith(
      { ...ARGS, amount: 1001 },
      expect.objectContaining({ userId: 'alice', tenantId: 'acme', toolName: TOOL, runId: big.result.runId }),
    );
    expect(t.events('approval_requested')).toHaveLength(1);
    // The approval runs through the same function on execution and still requires the token.
    const granted = await t.warden.approve(big.result.pending[0]!.id, { approver: 'bob' });
    if (granted.status !== 'approved') throw new Error('expected a token');
    expect((await t.warden.executeApproved(granted.token, { ...WHO })).ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(2);
  });

  it("can ask for 'dual'; a function that throws or returns nonsense fails closed to 'dual'", async () => {
    const cases: Array<[string, (args: Transfer) => never | 'dual']> = [
      ['dual', () => 'dual'],
      [
        'throws',
        () => {
          throw new Error('policy service down');
        },
      ],
      ['nonsense', () => 'yes please' as never],
    ];
    for (const [, fn] of cases) {
      const { tool, execute } = transferTool(fn);
      const t = approvalSetup({ tools: [tool] });
      const pending = await requestApproval(t);
      expect(pending.level).toBe('dual');
      expect(execute).not.toHaveBeenCalled();
    }
  });
});

describe('summary', () => {
  it('uses summarize(args) when given, the tool name and canonical args otherwise', async () => {
    const { tool } = transferTool('confirm', {
      summarize: (args) => `Send $${args.amount} to ${args.to} (${args.memo ?? 'no memo'})`,
    });
    const t = approvalSetup({ tools: [tool] });
    expect((await requestApproval(t)).summary).toBe('Send $5000 to acct-42 (rent)');

    const plain = approvalSetup({ tools: [transferTool().tool] });
    const summary = (await requestApproval(plain, { to: 'acct-42', memo: 'rent', amount: 5000 })).summary;
    expect(summary).toBe(`${TOOL} {"amount":5000,"memo":"rent","to":"acct-42"}`);
  });

  it('a summarize that throws falls back to the default summary; the call still needs approval', async () => {
    const { tool, execute } = transferTool('confirm', {
      summarize: () => {
        throw new Error('bad template');
      },
    });
    const t = approvalSetup({ tools: [tool] });
    expect((await requestApproval(t)).summary).toContain(TOOL);
    expect(execute).not.toHaveBeenCalled();
  });
});

describe('warden.pending()', () => {
  it('lists open approvals oldest first, filters by user and tenant, drops approved, rejected and expired', async () => {
    const t = gated();
    const a = await requestApproval(t, { ...ARGS, amount: 1 });
    t.clock.advance(1_000);
    const b = await requestApproval(t, { ...ARGS, amount: 2 }, { run: { userId: 'bob', tenantId: 'acme' } });
    t.clock.advance(1_000);
    const c = await requestApproval(
      t,
      { ...ARGS, amount: 3 },
      { run: { userId: 'alice', tenantId: 'globex' } },
    );
    t.clock.advance(1_000);
    const d = await requestApproval(t, { ...ARGS, amount: 4 });
    t.clock.advance(1_000);
    const e = await requestApproval(t, { ...ARGS, amount: 5 });
    const ids = async (filter?: { userId?: string; tenantId?: string }) =>
      (await t.warden.pending(filter)).map((p) => p.id);
    expect(await ids()).toEqual([a.id, b.id, c.id, d.id, e.id]);
    expect(await ids({ userId: 'alice' })).toEqual([a.id, c.id, d.id, e.id]);
    expect(await ids({ tenantId: 'acme' })).toEqual([a.id, b.id, d.id, e.id]);
    expect(await ids({ userId: 'alice', tenantId: 'acme' })).toEqual([a.id, d.id, e.id]);
    expect(await ids({ userId: 'nobody' })).toEqual([]);

    await t.warden.approve(d.id, { approver: 'bob' });
    await t.warden.reject(e.id, { approver: 'bob' });
    expect(await ids({ userId: 'alice', tenantId: 'acme' })).toEqual([a.id]);
    // `a` was requested first, so it expires first.
    t.clock.advance(TTL_MS - 4_000);
    expect(await ids()).toEqual([b.id, c.id]);
    t.clock.advance(3_000);
    expect(await ids()).toEqual([]);
    expect(t.execute).not.toHaveBeenCalled();
  });
});

describe('approve / reject', () => {
  it("'confirm': one approver → { status: 'approved', token }, audited with the approver", async () => {
    const t = gated();
    const pending = await requestApproval(t);
    const granted = await t.warden.approve(pending.id, { approver: 'bob' });
    expect(granted).toEqual({ status: 'approved', token: expect.stringMatching(/^v1\.[\w-]+\.[\w-]{43}$/) });
    expect(t.events('approval_granted')).toEqual([
      expect.objectContaining({
        pendingId: pending.id,
        tool: TOOL,
        approvers: ['bob'],
        userId: 'alice',
        tenantId: 'acme',
        runId: pending.runId,
      }),
    ]);
    expect(t.execute).not.toHaveBeenCalled();
  });

  it("'dual': awaiting after the first approver, approved after a second, distinct one", async () => {
    const { tool, execute } = transferTool('dual');
    const t = approvalSetup({ tools: [tool] });
    const pending = await requestApproval(t);
    expect(await t.warden.approve(pending.id, { approver: 'bob' })).toEqual({
      status: 'awaiting',
      approvals: 1,
      required: 2,
    });
    expect(t.events('approval_granted')).toEqual([]);
    expect((await t.warden.pending()).map((p) => p.id)).toEqual([pending.id]);
    await mustThrow(t.warden.approve(pending.id, { approver: 'bob' }), 'approval_same_approver');
    const granted = await t.warden.approve(pending.id, { approver: 'carol' });
    expect(granted.status).toBe('approved');
    expect(t.events('approval_granted')).toEqual([expect.objectContaining({ approvers: ['bob', 'carol'] })]);
    expect(await t.warden.pending()).toEqual([]);
    if (granted.status !== 'approved') return;
    expect((await t.warden.executeApproved(granted.token, { ...WHO })).ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('reject audits approver and reason; the action can then never be approved', async () => {
    const t = gated();
    const pending = await requestApproval(t);
    await t.warden.reject(pending.id, { approver: 'carol', reason: 'too much' });
    expect(t.events('approval_rejected')).toEqual([
      expect.objectContaining({
        pendingId: pending.id,
        approver: 'carol',
        reason: 'too much',
        userId: 'alice',
      }),
    ]);
    await mustThrow(t.warden.approve(pending.id, { approver: 'bob' }), 'approval_rejected');
    expect(t.execute).not.toHaveBeenCalled();
  });

  it('refuses unknown ids and missing approvers', async () => {
    const t = gated();
    const pending = await requestApproval(t);
    await mustThrow(t.warden.approve('no-such-id', { approver: 'bob' }), 'approval_not_found');
    await mustThrow(t.warden.reject('no-such-id', { approver: 'bob' }), 'approval_not_found');
    await mustThrow(t.warden.approve('', { approver: 'bob' }), 'approval_bad_request');
    await mustThrow(t.warden.approve(pending.id, { approver: '' }), 'approval_bad_request');
    await mustThrow(t.warden.approve(pending.id, {} as { approver: string }), 'approval_bad_request');
    await mustThrow(
      t.warden.reject(pending.id, { approver: 42 as unknown as string }),
      'approval_bad_request',
    );
    expect((await t.warden.pending()).map((p) => p.id)).toEqual([pending.id]);
  });
});

describe('executeApproved', () => {
  it('runs exactly the approved tool with exactly the approved args, once, and returns its ToolOutcome', async () => {
    const t = gated();
    const { pending, token } = await approvedToken(t);
    const outcome = await t.warden.executeApproved(token, { ...WHO });
    expect(outcome).toMatchObject({ ok: true, value: { transferId: 'tx-acct-42-5000' }, replayed: false });
    expect(t.execute).toHaveBeenCalledTimes(1);
    const [args, ctx] = t.execute.mock.calls[0]!;
    expect(args).toEqual(ARGS);
    expect(ctx).toMatchObject({ userId: 'alice', tenantId: 'acme', toolName: TOOL });
    expect(t.events('approval_consumed')).toEqual([
      expect.objectContaining({ pendingId: pending.id, tool: TOOL, userId: 'alice', tenantId: 'acme' }),
    ]);
    const calls = t.events('tool_call').filter((e) => e.outcome === 'ok');
    expect(calls).toEqual([
      expect.objectContaining({ tool: TOOL, argsHash: pending.argsHash, userId: 'alice' }),
    ]);
    // It ran in a run of its own, under the user's identity.
    expect(calls[0]!.runId).not.toBe(pending.runId);
  });

  it("keys idempotency to the pending id: ctx.idempotencyKey, the audit and the span carry 'approval:<id>'", async () => {
    const t = gated();
    const { pending, token } = await approvedToken(t);
    await t.warden.executeApproved(token, { ...WHO });
    const ctx = t.execute.mock.calls[0]![1] as ToolContext;
    expect(ctx.idempotencyKey).toBe(`approval:${pending.id}`);
    expect(t.events('tool_call').at(-1)).toMatchObject({
      idempotencyKey: `approval:${pending.id}`,
      replayed: false,
    });
    const spans = t.tracing.byName(SPAN);
    expect(spans.at(-1)!.attributes['warden.idempotency.key']).toBe(`approval:${pending.id}`);
  });

  it('sets warden.approval.id on the tool span of the approved call', async () => {
    const t = gated();
    const { pending, token } = await approvedToken(t);
    await t.warden.executeApproved(token, { ...WHO });
    const spans = t.tracing.byName(SPAN);
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.attributes['warden.approval.id']).toBe(pending.id);
    expect(spans[1]!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(spans[1]!.attributes['warden.tool.outcome']).toBe('ok');
  });

  it('goes through the rest of the pipeline: a failing execute is a tool_error, and the approval is spent', async () => {
    const execute = vi.fn(async () => {
      throw new Error('bank said no');
    });
    const { tool } = transferTool();
    const t = approvalSetup({ tools: [{ ...tool, execute } as typeof tool] });
    const { token } = await approvedToken(t);
    const outcome = await t.warden.executeApproved(token, { ...WHO });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.code).toBe('tool_error');
    expect(execute).toHaveBeenCalledTimes(1);
    expectInvalid(await t.warden.executeApproved(token, { ...WHO }), 'used');
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('goes through the rest of the pipeline: the per-attempt timeout applies', async () => {
    const execute = vi.fn(
      (_args: Transfer, ctx: ToolContext) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    );
    const { tool } = transferTool();
    const t = approvalSetup({ tools: [{ ...tool, execute, timeoutMs: 20 } as typeof tool] });
    const { token } = await approvedToken(t);
    const outcome = await t.warden.executeApproved(token, { ...WHO });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.code).toBe('tool_timeout');
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('a killed user: executeApproved throws the RunStop, nothing runs, and the token is not spent', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    await t.warden.kill({ userId: 'alice' }, { reason: 'incident' });
    await expect(t.warden.executeApproved(token, { ...WHO })).rejects.toSatisfy(
      (error: unknown) => RunStop.isInstance(error) && error.code === 'killed',
    );
    expect(t.execute).not.toHaveBeenCalled();
    expect(t.events('approval_consumed')).toEqual([]);
    await t.warden.revive({ userId: 'alice' });
    expect((await t.warden.executeApproved(token, { ...WHO })).ok).toBe(true);
    expect(t.execute).toHaveBeenCalledTimes(1);
  });
});

describe('tokens on later runs and calls', () => {
  it('approvals: [token] on a later run executes once; a second run with the same token cannot', async () => {
    const t = gated();
    const { pending, token } = await approvedToken(t);
    const later = await callTool(t, ARGS, { run: { ...WHO, approvals: [token] } });
    expect(later.outcome.ok).toBe(true);
    expect(later.result.pending).toEqual([]);
    expect(t.execute).toHaveBeenCalledTimes(1);
    expect(t.tracing.byName(SPAN).at(-1)!.attributes['warden.approval.id']).toBe(pending.id);

    // Again with the same token on the call: refused as used.
    const again = await callTool(t, ARGS, { call: { approval: token } });
    expectInvalid(again.outcome, 'used');
    // Again on the run: the spent token does not match, so approval is asked for anew.
    const again2 = await callTool(t, ARGS, { run: { ...WHO, approvals: [token] } });
    expectRequired(again2.outcome);
    expect(again2.result.pending[0]!.id).not.toBe(pending.id);
    expect(t.execute).toHaveBeenCalledTimes(1);
    expect(t.events('approval_consumed')).toHaveLength(1);
  });

  it('a run may carry several tokens: each call takes the one bound to it', async () => {
    const t = gated();
    const one = await approvedToken(t, { ...ARGS, amount: 1 });
    const two = await approvedToken(t, { ...ARGS, amount: 2 });
    const outcomes: ToolOutcome[] = [];
    await t.warden.run({ ...WHO, approvals: [one.token, two.token] }, async (run) => {
      outcomes.push(await run.tool(TOOL, { ...ARGS, amount: 2 }));
      outcomes.push(await run.tool(TOOL, { ...ARGS, amount: 3 }));
      outcomes.push(await run.tool(TOOL, { ...ARGS, amount: 1 }));
    });
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual(['ok', 'approval_required', 'ok']);
    expect(t.execute.mock.calls.map((c) => c[0].amount)).toEqual([2, 1]);
  });
});

describe('autoApprove', () => {
  it('returning true executes without a human; audited as approval_granted by approver "auto"', async () => {
    const autoApprove = vi.fn((pending: PendingApproval) => pending.args !== null);
    const t = gated({ approvals: { autoApprove } });
    const { outcome } = await callTool(t);
    expect(outcome.ok).toBe(true);
    expect(t.execute).toHaveBeenCalledTimes(1);
    expect(autoApprove).toHaveBeenCalledWith(
      expect.objectContaining({ tool: TOOL, args: ARGS, userId: 'alice' }),
    );
    const [granted] = t.events('approval_granted');
    expect(granted).toMatchObject({ tool: TOOL, approvers: ['auto'] });
    expect(t.events('approval_consumed')).toEqual([
      expect.objectContaining({ pendingId: granted!.pendingId }),
    ]);
    expect(t.span(SPAN).attributes['warden.approval.id']).toBe(granted!.pendingId);
    expect(t.execute.mock.calls[0]![1].idempotencyKey).toBe(`approval:${granted!.pendingId}`);
    expect(await t.warden.pending()).toEqual([]);
  });

  it('returning false (or anything but true) leaves the call to a human', async () => {
    for (const answer of [false, 'yes', 1, undefined]) {
      const t = gated({ approvals: { autoApprove: async () => answer as boolean } });
      expectRequired((await callTool(t)).outcome);
      expect(t.execute).not.toHaveBeenCalled();
      expect(t.events('approval_granted')).toEqual([]);
    }
  });
});

describe('approval edge cases', () => {
  it("autoApprove never stands in for a 'dual' approval: two people are still needed", async () => {
    const { tool, execute } = transferTool('dual');
    const autoApprove = vi.fn(() => true);
    const t = approvalSetup({ tools: [tool], approvals: { autoApprove } });
    expectRequired((await callTool(t)).outcome);
    expect(autoApprove).not.toHaveBeenCalled();
    expect(execute).not.toHaveBeenCalled();
    expect(await t.warden.pending()).toHaveLength(1);
  });

  it('executeApproved replays the arguments as first sent, so schemas that transform still work', async () => {
    const execute = vi.fn(async (args: { amount: number }) => ({ charged: args.amount }));
    const tool = defineTool({
      name: 'charge',
      description: 'Charge an amount given as text',
      input: z.object({ amount: z.string().transform(Number) }),
      approval: 'confirm',
      execute,
    });
    const t = approvalSetup({ tools: [tool] });
    const pending = await requestApproval(t, { amount: '42' }, { name: 'charge' });
    expect(pending.args).toEqual({ amount: 42 });
    const granted = await t.warden.approve(pending.id, { approver: 'bob' });
    if (granted.status !== 'approved') throw new Error('expected a token');
    const outcome = await t.warden.executeApproved(granted.token, { ...WHO });
    expect(outcome).toMatchObject({ ok: true, value: { charged: 42 } });
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('a refused executeApproved is audited even though no run starts', async () => {
    const t = gated();
    const outcome = await t.warden.executeApproved('v1.garbage.token', { ...WHO });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'approval_invalid', details: { reason: 'malformed' } },
    });
    expect(t.events('approval_refused')).toEqual([
      expect.objectContaining({ reason: 'malformed', userId: 'alice', tenantId: 'acme' }),
    ]);
    expect(t.execute).not.toHaveBeenCalled();
  });

  it('the same call asked again after its approval was rejected opens a new request', async () => {
    const t = gated();
    const result = await t.warden.run({ ...WHO }, async (run) => {
      const first = await run.tool(TOOL, ARGS);
      if (first.ok || !first.pending) throw new Error('expected a pending approval');
      await t.warden.reject(first.pending.id, { approver: 'bob' });
      const second = await run.tool(TOOL, ARGS);
      if (second.ok || !second.pending) throw new Error('expected a new pending approval');
      return [first.pending.id, second.pending.id];
    });
    if (result.status !== 'completed') throw new Error('expected completed');
    const [a, b] = result.output;
    expect(a).not.toBe(b);
    expect((await t.warden.pending()).map((p) => p.id)).toEqual([b]);
    expect(t.execute).not.toHaveBeenCalled();
  });
});
