import { defineTool, memoryStore, type Store, type ToolOutcome, WardenError } from 'agent-warden';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { tick } from '../warden/helpers.js';
import {
  ARGS,
  approvalSetup,
  approvedToken,
  BASE64URL_CHARS,
  callTool,
  claimsOf,
  craft,
  DEFAULT_KEY,
  expectInvalid,
  expectRequired,
  otherChar,
  payloadOf,
  requestApproval,
  SECRET,
  SKEW_MS,
  TOOL,
  TTL_MS,
  transferTool,
  WHO,
  withPayload,
} from './helpers.js';

/** A warden with the gated transfer tool, and its `execute` spy. */
function gated(options: Parameters<typeof approvalSetup>[0] = {}) {
  const { tool, execute } = transferTool();
  const t = approvalSetup({ tools: [tool], ...options });
  return { ...t, execute };
}

type Gated = ReturnType<typeof gated>;

/** Nothing ran on the token: `execute` uncalled, no approval consumed, no call succeeded. */
function expectNothingRan(t: Gated): void {
  expect(t.execute).not.toHaveBeenCalled();
  expect(t.events('approval_consumed')).toEqual([]);
  expect(t.events('tool_call').filter((e) => e.outcome === 'ok')).toEqual([]);
}

/** The genuine token still works afterwards, so the refusals above were about the forgery, not the setup. */
async function expectGenuineStillWorks(t: Gated, token: string): Promise<void> {
  const outcome = await t.warden.executeApproved(token, { ...WHO });
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
  expect(t.execute).toHaveBeenCalledTimes(1);
  expect(t.events('approval_consumed')).toHaveLength(1);
}

/** Refused through every door: `executeApproved`, a call's `{ approval }`, and (silently) a run's `approvals`. */
async function expectRefusedEverywhere(t: Gated, forged: string, reason: string): Promise<void> {
  expectInvalid(await t.warden.executeApproved(forged, { ...WHO }), reason);
  const viaCall = await callTool(t, ARGS, { call: { approval: forged } });
  expectInvalid(viaCall.outcome, reason);
  const toolCalls = t.events('tool_call');
  expect(toolCalls.at(-1)).toMatchObject({ outcome: 'approval_invalid', runId: viaCall.result.runId });
  // A token on the run that does not redeem is ignored: the call asks for approval again.
  const viaRun = await callTool(t, ARGS, { run: { ...WHO, approvals: [forged] } });
  expectRequired(viaRun.outcome);
  expectNothingRan(t);
}

/** A copy of `items` with `items[index] = value`. */
function replaced(items: unknown[], index: number, value: unknown): unknown[] {
  const copy = [...items];
  copy[index] = value;
  return copy;
}

function mustThrow(promise: Promise<unknown>, code: string) {
  return expect(promise).rejects.toSatisfy(
    (error: unknown) => WardenError.isInstance(error) && error.code === code,
    `expected a WardenError with code ${code}`,
  );
}

describe('tampering with a genuine token', () => {
  it('tampered byte anywhere: every position of version, payload and MAC, two replacement characters each', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const [version, payload, mac] = token.split('.') as [string, string, string];
    const payloadStart = version.length + 1;
    const macStart = payloadStart + payload.length + 1;
    const seen = new Map<string, number>();
    for (let i = 0; i < token.length; i++) {
      const original = token[i]!;
      const index = BASE64URL_CHARS.indexOf(original);
      // Two different replacements: the next character, and one with the high bit of the 6-bit value flipped.
      const replacements = [otherChar(original), index < 0 ? 'v' : BASE64URL_CHARS[index ^ 32]!];
      for (const replacement of replacements) {
        expect(replacement).not.toBe(original);
        const tampered = token.slice(0, i) + replacement + token.slice(i + 1);
        const outcome = await t.warden.executeApproved(tampered, { ...WHO });
        expect(outcome.ok, `position ${i} (${original} → ${replacement}) was accepted`).toBe(false);
        if (outcome.ok) continue;
        expect(outcome.error.code).toBe('approval_invalid');
        const reason = outcome.error.details?.reason as string;
        seen.set(reason, (seen.get(reason) ?? 0) + 1);
        if (i < version.length || i === payloadStart - 1 || i === macStart - 1) {
          expect(reason, `position ${i}`).toBe('malformed');
        } else if (i < macStart) {
          // Any change to the signed text breaks the MAC, even where base64url has unused bits.
          expect(reason, `position ${i}`).toBe('bad_signature');
        } else {
          // The last MAC character has 2 unused bits: changing only those is caught as non-canonical.
          expect(['bad_signature', 'malformed'], `position ${i}`).toContain(reason);
          if (i < token.length - 1) expect(reason, `position ${i}`).toBe('bad_signature');
        }
      }
    }
    expect(token.length).toBe(version.length + payload.length + mac.length + 2);
    expect(seen.get('bad_signature')).toBeGreaterThanOrEqual(2 * (payload.length + mac.length) - 2);
    expectNothingRan(t);
    await expectGenuineStillWorks(t, token);
  });

  it('tampered byte anywhere, through run.tool({ approval }): each position refused, audited, execute uncalled', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    for (let i = 0; i < token.length; i++) {
      const tampered = token.slice(0, i) + otherChar(token[i]!) + token.slice(i + 1);
      const { outcome, result } = await callTool(t, ARGS, { call: { approval: tampered, callId: `c${i}` } });
      expect(outcome.ok, `position ${i}`).toBe(false);
      if (outcome.ok) continue;
      expect(outcome.error.code).toBe('approval_invalid');
      expect(['malformed', 'bad_signature']).toContain(outcome.error.details?.reason);
      expect(result.status).toBe('completed');
    }
    const calls = t.events('tool_call').filter((e) => String(e.callId).startsWith('c'));
    expect(calls).toHaveLength(token.length);
    expect(calls.every((e) => e.outcome === 'approval_invalid')).toBe(true);
    expectNothingRan(t);
    await expectGenuineStillWorks(t, token);
  });

  it('a payload character changed only in its unused low bits still breaks the MAC (bad_signature)', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const [version, payload, mac] = token.split('.') as [string, string, string];
    const last = BASE64URL_CHARS.indexOf(payload.at(-1)!);
    // Unpadded base64url of n bytes leaves 2 or 4 unused low bits in the last character unless n % 3 === 0;
    // then flipping the lowest bit is a real change, and must fail the same way.
    const changed = `${payload.slice(0, -1)}${BASE64URL_CHARS[last ^ 1]}`;
    if (payload.length % 4 !== 0) {
      expect(Buffer.from(changed, 'base64url')).toEqual(Buffer.from(payload, 'base64url'));
    }
    await expectRefusedEverywhere(t, `${version}.${changed}.${mac}`, 'bad_signature');
    await expectGenuineStillWorks(t, token);
  });

  it('a MAC whose last character differs only in unused bits (same bytes) is refused as malformed', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const [version, payload, mac] = token.split('.') as [string, string, string];
    const last = BASE64URL_CHARS.indexOf(mac.at(-1)!);
    const sameBytes = `${mac.slice(0, -1)}${BASE64URL_CHARS[last ^ 1]}`;
    expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    await expectRefusedEverywhere(t, `${version}.${payload}.${sameBytes}`, 'malformed');
    await expectGenuineStillWorks(t, token);
  });
});

describe('truncated or wrong-length MAC', () => {
  const variants: Array<[string, (mac: string) => string]> = [
    ['the last character dropped', (mac) => mac.slice(0, -1)],
    ['half the MAC', (mac) => mac.slice(0, 22)],
    ['an empty MAC', () => ''],
    ['one extra character', (mac) => `${mac}A`],
    ['a MAC twice as long', (mac) => mac + mac],
    ['the MAC with base64 padding', (mac) => `${mac}=`],
    ['the MAC in standard base64 (+/)', (mac) => Buffer.from(mac, 'base64url').toString('base64')],
    ['the MAC in hex', (mac) => Buffer.from(mac, 'base64url').toString('hex')],
  ];
  for (const [name, change] of variants) {
    it(`truncated / wrong-length MAC: ${name} → malformed, no throw, execute uncalled`, async () => {
      const t = gated();
      const { token } = await approvedToken(t);
      const [version, payload, mac] = token.split('.') as [string, string, string];
      const forged = `${version}.${payload}.${change(mac)}`;
      expect(forged).not.toBe(token);
      await expectRefusedEverywhere(t, forged, 'malformed');
      await expectGenuineStillWorks(t, token);
    });
  }

  it('truncated token: every proper prefix of a genuine token is refused', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    for (let length = 0; length < token.length; length++) {
      const outcome = await t.warden.executeApproved(token.slice(0, length), { ...WHO });
      expect(outcome.ok, `prefix of length ${length}`).toBe(false);
      if (!outcome.ok) expect(['malformed', 'bad_signature']).toContain(outcome.error.details?.reason);
    }
    expectNothingRan(t);
    await expectGenuineStillWorks(t, token);
  });
});

describe('garbage', () => {
  const garbage: Array<[string, unknown]> = [
    ['an empty string', ''],
    ['a word', 'approved'],
    ['"true"', 'true'],
    ['dots only', '..'],
    ['three empty segments', 'v1..'],
    ['short segments', 'v1.a.b'],
    ['a JWT-looking string', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.'],
    ['whitespace around a token shape', ' v1.AAAA.AAAA '],
    ['non-ASCII', 'v1.ÿÿÿÿ.😀😀'],
    ['a NUL byte', 'v1.\u0000.\u0000'],
    ['a very long string', `v1.${'A'.repeat(10_000)}.${'A'.repeat(43)}`],
  ];
  for (const [name, value] of garbage) {
    it(`garbage string (${name}) → malformed, execute uncalled`, async () => {
      const t = gated();
      await expectRefusedEverywhere(t, value as string, 'malformed');
    });
  }

  it('garbage of other types (number, object, array, null) → malformed, nothing thrown, execute uncalled', async () => {
    const t = gated();
    for (const value of [42, { token: 'x' }, ['v1', 'a', 'b'], null, true]) {
      expectInvalid(await t.warden.executeApproved(value as unknown as string, { ...WHO }), 'malformed');
      const { outcome } = await callTool(t, ARGS, { call: { approval: value as unknown as string } });
      expectInvalid(outcome, 'malformed');
    }
    expectNothingRan(t);
  });
});

describe('forgery', () => {
  it("forge: payload re-encoded with another userId, original MAC → bad_signature (for mallory and for alice's own tool)", async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const payload = payloadOf(token);
    expect(payload[5]).toBe('alice');
    const forged = withPayload(token, replaced(payload, 5, 'mallory'));
    expectInvalid(
      await t.warden.executeApproved(forged, { userId: 'mallory', tenantId: 'acme' }),
      'bad_signature',
    );
    const { outcome } = await callTool(t, ARGS, {
      run: { userId: 'mallory', tenantId: 'acme' },
      call: { approval: forged },
    });
    expectInvalid(outcome, 'bad_signature');
    expectNothingRan(t);
    await expectGenuineStillWorks(t, token);
  });

  it('forge: payload re-encoded with a later expiry, original MAC → bad_signature', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const payload = payloadOf(token);
    const forged = withPayload(token, replaced(payload, 8, (payload[8] as number) + 86_400_000));
    await expectRefusedEverywhere(t, forged, 'bad_signature');
    await expectGenuineStillWorks(t, token);
  });

  it('forge: signed with a different secret under the right kid → bad_signature', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const forged = craft(token, {}, { id: 'default', secret: 'attacker-secret-0123456789abcdef-0123456789' });
    expect(claimsOf(forged).kid).toBe('default');
    await expectRefusedEverywhere(t, forged, 'bad_signature');
    await expectGenuineStillWorks(t, token);
  });

  it("forge: alg-style downgrade, a 'v2.' version prefix → malformed", async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    await expectRefusedEverywhere(t, token.replace(/^v1\./, 'v2.'), 'malformed');
    await expectRefusedEverywhere(t, token.replace(/^v1\./, 'v0.'), 'malformed');
    await expectRefusedEverywhere(t, token.replace(/^v1\./, 'V1.'), 'malformed');
    await expectGenuineStillWorks(t, token);
  });

  it("forge: alg-style downgrade, a 'none' MAC (or no MAC) → malformed", async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const signed = token.slice(0, token.lastIndexOf('.'));
    await expectRefusedEverywhere(t, `${signed}.none`, 'malformed');
    await expectRefusedEverywhere(t, `${signed}.`, 'malformed');
    await expectRefusedEverywhere(t, signed, 'malformed');
    await expectGenuineStillWorks(t, token);
  });

  it('forge: alg-style downgrade, an extra .-segment (before, inside or after) → malformed', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const [version, payload, mac] = token.split('.') as [string, string, string];
    const header = Buffer.from('{"alg":"none"}').toString('base64url');
    for (const forged of [
      `${token}.${header}`,
      `${token}.`,
      `${version}.${header}.${payload}.${mac}`,
      `${header}.${version}.${payload}.${mac}`,
      `${version}.${payload}..${mac}`,
    ]) {
      await expectRefusedEverywhere(t, forged, 'malformed');
    }
    await expectGenuineStillWorks(t, token);
  });
});

describe('replay and concurrency', () => {
  it('replay after use: the second use is approval_invalid (used) on every path, execute ran once', async () => {
    const t = gated();
    const { token, pending } = await approvedToken(t);
    const first = await t.warden.executeApproved(token, { ...WHO });
    expect(first.ok).toBe(true);
    expect(t.execute).toHaveBeenCalledTimes(1);
    expectInvalid(await t.warden.executeApproved(token, { ...WHO }), 'used');
    const viaCall = await callTool(t, ARGS, { call: { approval: token } });
    expectInvalid(viaCall.outcome, 'used');
    const viaRun = await callTool(t, ARGS, { run: { ...WHO, approvals: [token] } });
    expectRequired(viaRun.outcome);
    expect(t.execute).toHaveBeenCalledTimes(1);
    expect(t.events('approval_consumed')).toEqual([
      expect.objectContaining({ pendingId: pending.id, tool: TOOL }),
    ]);
    // A consumed approval cannot be approved again either.
    await mustThrow(t.warden.approve(pending.id, { approver: 'carol' }), 'approval_consumed');
  });

  it('five concurrent executeApproved with one token: exactly one executes', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => t.warden.executeApproved(token, { ...WHO })),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    const refused = outcomes.filter((o): o is Extract<ToolOutcome, { ok: false }> => !o.ok);
    expect(refused).toHaveLength(4);
    for (const o of refused) expectInvalid(o, 'used');
    expect(t.execute).toHaveBeenCalledTimes(1);
    expect(t.events('approval_consumed')).toHaveLength(1);
  });

  it('five concurrent run.tool(..., { approval }) with one token in one run: exactly one executes', async () => {
    const t = gated({ loops: { maxRepeats: 10 } });
    const { token } = await approvedToken(t);
    let outcomes: ToolOutcome[] = [];
    const result = await t.warden.run({ ...WHO }, async (run) => {
      outcomes = await Promise.all(
        Array.from({ length: 5 }, (_, i) => run.tool(TOOL, ARGS, { approval: token, callId: `c${i}` })),
      );
    });
    expect(result.status).toBe('completed');
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    for (const o of outcomes.filter((o) => !o.ok)) expectInvalid(o, 'used');
    expect(t.execute).toHaveBeenCalledTimes(1);
    expect(t.events('approval_consumed')).toHaveLength(1);
  });

  it('five concurrent runs carrying the token in approvals: exactly one executes, the others ask again', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => callTool(t, ARGS, { run: { ...WHO, approvals: [token] } })),
    );
    const ok = results.filter((r) => r.outcome.ok);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((r) => !r.outcome.ok)) expectRequired(r.outcome);
    expect(t.execute).toHaveBeenCalledTimes(1);
  });

  it('one token, five concurrent uses, under any interleaving of store operations (fc.scheduler): one execute', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 5 }), async (s, n) => {
        const scheduling = { on: false, calls: 0 };
        const t = gated({ store: scheduledStore(memoryStore(), s, scheduling) });
        const { token } = await approvedToken(t);
        scheduling.on = true;
        let settled = false;
        const all = Promise.all(
          Array.from({ length: n }, (_, i) =>
            i % 2 === 0
              ? t.warden.executeApproved(token, { ...WHO })
              : callTool(t, ARGS, { call: { approval: token } }).then((r) => r.outcome),
          ),
        ).finally(() => {
          settled = true;
        });
        while (!settled) {
          await s.waitAll();
          await tick();
        }
        const outcomes = await all;
        expect(
          outcomes.filter((o) => o.ok),
          String(s),
        ).toHaveLength(1);
        for (const o of outcomes.filter((o) => !o.ok)) expectInvalid(o, 'used');
        expect(t.execute).toHaveBeenCalledTimes(1);
        // The store operations of the concurrent uses really went through the scheduler.
        expect(scheduling.calls).toBeGreaterThan(n * 2);
      }),
      { numRuns: 30 },
    );
  });
});

/** A store whose operations run when the fast-check scheduler says, while `scheduling.on`. */
function scheduledStore(inner: Store, s: fc.Scheduler, scheduling: { on: boolean; calls: number }): Store {
  return new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (key === 'attach' || key === 'close') return bound;
      return (...args: unknown[]) => {
        if (!scheduling.on) return bound(...args);
        scheduling.calls++;
        return s.scheduleFunction(async (...a: unknown[]) => bound(...a))(...args);
      };
    },
  });
}

describe('binding to exactly one call', () => {
  it('token for tool A on tool B → approval_invalid (wrong_tool); B never runs, A still can', async () => {
    const a = transferTool();
    const b = transferTool('confirm', { name: 'wire_funds' });
    const t = approvalSetup({ tools: [a.tool, b.tool] });
    const { token } = await approvedToken(t);
    const { outcome } = await callTool(t, ARGS, { name: 'wire_funds', call: { approval: token } });
    expectInvalid(outcome, 'wrong_tool');
    const viaRun = await callTool(t, ARGS, { name: 'wire_funds', run: { ...WHO, approvals: [token] } });
    expectRequired(viaRun.outcome);
    expect(b.execute).not.toHaveBeenCalled();
    expect(a.execute).not.toHaveBeenCalled();
    expect(t.events('approval_consumed')).toEqual([]);
    expect((await t.warden.executeApproved(token, { ...WHO })).ok).toBe(true);
    expect(a.execute).toHaveBeenCalledTimes(1);
    expect(b.execute).not.toHaveBeenCalled();
  });

  it('same tool with a changed argument → approval_invalid (wrong_args); execute uncalled', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    for (const changed of [
      { ...ARGS, amount: 5001 },
      { ...ARGS, to: 'acct-666' },
      { ...ARGS, memo: 'rent!' },
      { to: ARGS.to, amount: ARGS.amount },
      { ...ARGS, amount: '5000' },
    ]) {
      const { outcome } = await callTool(t, changed, { call: { approval: token } });
      if (typeof changed.amount === 'string') {
        // Not even valid arguments: refused before approval is looked at.
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.error.code).toBe('invalid_arguments');
      } else {
        expectInvalid(outcome, 'wrong_args');
      }
    }
    expectNothingRan(t);
  });

  it('same tool, same arguments with reordered keys (and as a JSON string) still match', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const reordered = { memo: ARGS.memo, amount: ARGS.amount, to: ARGS.to };
    expect(Object.keys(reordered)).not.toEqual(Object.keys(ARGS));
    const { outcome } = await callTool(t, JSON.stringify(reordered), { call: { approval: token } });
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    expect(t.execute).toHaveBeenCalledTimes(1);
    expect(t.execute.mock.calls[0]![0]).toEqual(ARGS);
  });

  it('another user → approval_invalid (wrong_user) on executeApproved and run.tool; execute uncalled', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const mallory = { userId: 'mallory', tenantId: 'acme' };
    expectInvalid(await t.warden.executeApproved(token, mallory), 'wrong_user');
    expectInvalid(await t.warden.executeApproved(token, { tenantId: 'acme' }), 'wrong_user');
    const { outcome } = await callTool(t, ARGS, { run: mallory, call: { approval: token } });
    expectInvalid(outcome, 'wrong_user');
    const viaRun = await callTool(t, ARGS, { run: { ...mallory, approvals: [token] } });
    expectRequired(viaRun.outcome);
    expectNothingRan(t);
    // Refusing another user does not burn the token.
    await expectGenuineStillWorks(t, token);
  });

  it('a token stays bound and single use even when the approval function no longer asks for approval', async () => {
    let limit = 1000;
    const { tool, execute } = transferTool((args) => (args.amount > limit ? 'confirm' : 'none'));
    const t = approvalSetup({ tools: [tool] });
    const { token } = await approvedToken(t);
    // The policy changes after approval: 5000 would now run without asking.
    limit = 10_000;
    const mallory = { userId: 'mallory', tenantId: 'evil' };
    expectInvalid(await t.warden.executeApproved(token, mallory), 'wrong_user');
    expectInvalid(
      (await callTool(t, ARGS, { run: mallory, call: { approval: token } })).outcome,
      'wrong_user',
    );
    expect(execute).not.toHaveBeenCalled();
    expect((await t.warden.executeApproved(token, { ...WHO })).ok).toBe(true);
    expectInvalid(await t.warden.executeApproved(token, { ...WHO }), 'used');
    expect(execute).toHaveBeenCalledTimes(1);
    expect(t.events('approval_consumed')).toHaveLength(1);
    // Without a token, the call is simply not gated any more.
    expect((await callTool(t, { ...ARGS, amount: 7 })).outcome.ok).toBe(true);
  });

  it('another tenant → approval_invalid (wrong_tenant) on executeApproved and run.tool; execute uncalled', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const otherTenant = { userId: 'alice', tenantId: 'globex' };
    expectInvalid(await t.warden.executeApproved(token, otherTenant), 'wrong_tenant');
    expectInvalid(await t.warden.executeApproved(token, { userId: 'alice' }), 'wrong_tenant');
    const { outcome } = await callTool(t, ARGS, { run: otherTenant, call: { approval: token } });
    expectInvalid(outcome, 'wrong_tenant');
    expectNothingRan(t);
    await expectGenuineStillWorks(t, token);
  });
});

describe('time', () => {
  it('expired: past ttl (+ skew) the token is approval_invalid (expired); execute uncalled', async () => {
    const t = gated();
    const { token, pending } = await approvedToken(t);
    expect(claimsOf(token).exp).toBe(pending.expiresAt);
    t.clock.advance(TTL_MS + SKEW_MS);
    await expectRefusedEverywhere(t, token, 'expired');
  });

  it('expired: approve after the ttl throws approval_expired and audits approval_expired', async () => {
    const t = gated();
    const pending = await requestApproval(t);
    t.clock.advance(TTL_MS);
    await mustThrow(t.warden.approve(pending.id, { approver: 'bob' }), 'approval_expired');
    expect(t.events('approval_expired')).toEqual([
      expect.objectContaining({ pendingId: pending.id, tool: TOOL, userId: 'alice', tenantId: 'acme' }),
    ]);
    expect(t.events('approval_granted')).toEqual([]);
    // Still expired on a second try, without a second event.
    await mustThrow(t.warden.approve(pending.id, { approver: 'bob' }), 'approval_expired');
    expect(t.events('approval_expired')).toHaveLength(1);
    expect(await t.warden.pending()).toEqual([]);
    expect(t.execute).not.toHaveBeenCalled();
  });

  it('issued in the future: a token with iat beyond the skew → approval_invalid (not_yet_valid)', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    const now = t.clock.now();
    const future = craft(token, { iat: now + 60_000, exp: now + 60_000 + TTL_MS }, DEFAULT_KEY);
    await expectRefusedEverywhere(t, future, 'not_yet_valid');
    // The same crafting with the real iat is accepted: it is the future iat that was refused.
    const honest = craft(token, {}, DEFAULT_KEY);
    expect(honest).toBe(token);
    await expectGenuineStillWorks(t, honest);
  });

  it('unknown kid: a token whose signed kid is not the key that verified it → approval_invalid (unknown_key)', async () => {
    const t = gated();
    const { token } = await approvedToken(t);
    // Same secret, different kid: the MAC verifies, but the kid inside does not name that key.
    const forged = craft(token, {}, { id: 'retired-2025', secret: SECRET });
    await expectRefusedEverywhere(t, forged, 'unknown_key');
    // A key the warden does not hold at all cannot even produce a verifiable MAC.
    await expectRefusedEverywhere(
      t,
      craft(token, {}, { id: 'ghost', secret: 'g'.repeat(40) }),
      'bad_signature',
    );
    await expectGenuineStillWorks(t, token);
  });
});

describe('nothing the model writes grants approval', () => {
  it('model-written approval flags in args (approved, approval: <a real token>, __approved) → approval_required', async () => {
    const execute = vi.fn(async () => 'sent');
    const tool = defineTool({
      name: TOOL,
      description: 'Move money',
      input: z.object({
        amount: z.number(),
        approved: z.boolean().optional(),
        approval: z.string().optional(),
        __approved: z.string().optional(),
      }),
      approval: 'confirm',
      execute,
    });
    const t = approvalSetup({ tools: [tool] });
    // A genuine token the model somehow saw (for the call with the same amount and no flags).
    const { token } = await approvedToken(t, { amount: 5000 });
    const flagged = { amount: 5000, approved: true, approval: token, __approved: 'yes' };
    const { outcome, result } = await callTool(t, flagged);
    expectRequired(outcome);
    expect(result.pending).toHaveLength(1);
    expect(result.pending[0]!.args).toEqual(flagged);
    // As text, or with the flags only, the same.
    expectRequired((await callTool(t, JSON.stringify(flagged))).outcome);
    expectRequired((await callTool(t, { amount: 5000, approval: token })).outcome);
    expect(execute).not.toHaveBeenCalled();
    expect(t.events('approval_consumed')).toEqual([]);
    expect(t.events('approval_requested')).toHaveLength(3 + 1);
    // The token itself was not spent by being pasted into arguments.
    expect((await t.warden.executeApproved(token, { ...WHO })).ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(execute.mock.calls[0]).toEqual([{ amount: 5000 }, expect.anything()]);
  });

  it('model-written approval flags the schema does not know (stripped) are ignored as well', async () => {
    const t = gated();
    const { token } = await approvedToken(t, { ...ARGS, amount: 1 });
    for (const args of [
      { ...ARGS, approved: true },
      { ...ARGS, approval: token, approvalToken: token },
      JSON.stringify({ ...ARGS, __proto__: { approved: true }, warden: { approvals: [token] } }),
    ]) {
      expectRequired((await callTool(t, args)).outcome);
    }
    expect(t.execute).not.toHaveBeenCalled();
    expect(t.events('approval_consumed')).toEqual([]);
  });
});

describe('approvers', () => {
  it('dual approval with the same approver twice → approval_same_approver; no token, still pending', async () => {
    const { tool, execute } = transferTool('dual');
    const t = approvalSetup({ tools: [tool] });
    const pending = await requestApproval(t);
    expect(pending.level).toBe('dual');
    expect(await t.warden.approve(pending.id, { approver: 'bob' })).toEqual({
      status: 'awaiting',
      approvals: 1,
      required: 2,
    });
    await mustThrow(t.warden.approve(pending.id, { approver: 'bob' }), 'approval_same_approver');
    expect(t.events('approval_granted')).toEqual([]);
    expect((await t.warden.pending()).map((p) => p.id)).toEqual([pending.id]);
    expect(execute).not.toHaveBeenCalled();
    // Two approvals by one person cannot be raced past the check either.
    const { tool: tool2, execute: execute2 } = transferTool('dual');
    const t2 = approvalSetup({ tools: [tool2] });
    const p2 = await requestApproval(t2);
    const raced = await Promise.allSettled([
      t2.warden.approve(p2.id, { approver: 'bob' }),
      t2.warden.approve(p2.id, { approver: 'bob' }),
    ]);
    expect(raced.filter((r) => r.status === 'fulfilled').map((r) => r.value)).toEqual([
      { status: 'awaiting', approvals: 1, required: 2 },
    ]);
    expect(t2.events('approval_granted')).toEqual([]);
    expect(execute2).not.toHaveBeenCalled();
  });

  it('reject then approve → approve throws approval_rejected; nothing runs', async () => {
    const t = gated();
    const pending = await requestApproval(t);
    await t.warden.reject(pending.id, { approver: 'carol', reason: 'not this month' });
    expect(t.events('approval_rejected')).toEqual([
      expect.objectContaining({
        pendingId: pending.id,
        tool: TOOL,
        approver: 'carol',
        reason: 'not this month',
      }),
    ]);
    await mustThrow(t.warden.approve(pending.id, { approver: 'bob' }), 'approval_rejected');
    await mustThrow(t.warden.reject(pending.id, { approver: 'bob' }), 'approval_rejected');
    expect(t.events('approval_granted')).toEqual([]);
    expect(await t.warden.pending()).toEqual([]);
    expectNothingRan(t);
  });

  it('an approved action cannot be approved again (approval_already_approved); its token still runs once', async () => {
    const t = gated();
    const { pending, token } = await approvedToken(t);
    await mustThrow(t.warden.approve(pending.id, { approver: 'carol' }), 'approval_already_approved');
    await expectGenuineStillWorks(t, token);
  });

  it('rejecting an approved action before it runs revokes its token', async () => {
    const t = gated();
    const { pending, token } = await approvedToken(t);
    await t.warden.reject(pending.id, { approver: 'carol', reason: 'changed my mind' });
    expectInvalid(await t.warden.executeApproved(token, { ...WHO }), 'not_approved');
    expect(t.execute).not.toHaveBeenCalled();
    expect(t.events('approval_rejected')).toHaveLength(1);
    await mustThrow(t.warden.approve(pending.id, { approver: 'carol' }), 'approval_rejected');
  });

  it('an executed action can no longer be rejected (approval_consumed)', async () => {
    const t = gated();
    const { pending, token } = await approvedToken(t);
    await expectGenuineStillWorks(t, token);
    await mustThrow(t.warden.reject(pending.id, { approver: 'carol' }), 'approval_consumed');
  });

  it('concurrent approvals of one confirm request by different people yield exactly one token', async () => {
    const t = gated();
    const pending = await requestApproval(t);
    const results = await Promise.allSettled(
      ['bob', 'carol', 'dave', 'erin'].map((approver) => t.warden.approve(pending.id, { approver })),
    );
    const tokens = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'approved');
    expect(tokens).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r.reason as WardenError).code).toBe('approval_already_approved');
    }
    expect(t.events('approval_granted')).toHaveLength(1);
  });
});
