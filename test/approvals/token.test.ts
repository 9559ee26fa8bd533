import { createHmac } from 'node:crypto';
import { createWarden, defineTool, memoryStore, WardenConfigError, type WardenOptions } from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ARGS,
  approvalSetup,
  approvedToken,
  callTool,
  claimsOf,
  craft,
  DEFAULT_KEY,
  expectInvalid,
  KEY1,
  KEY2,
  payloadOf,
  requestApproval,
  SECRET,
  SKEW_MS,
  TOOL,
  TTL_MS,
  transferTool,
  WHO,
} from './helpers.js';

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
  expect(error.code).toBe('config_error');
  return error;
}

describe('token format', () => {
  it('is v1.<base64url payload>.<base64url HMAC-SHA256 over "v1.<payload>">', async () => {
    const { tool, execute } = transferTool();
    const t = approvalSetup({ tools: [tool] });
    const { pending, token } = await approvedToken(t);
    const [version, payload, mac] = token.split('.') as [string, string, string];
    expect(token.split('.')).toHaveLength(3);
    expect(version).toBe('v1');
    expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createHmac('sha256', SECRET).update(`v1.${payload}`).digest('base64url')).toBe(mac);
    // A versioned, unambiguous encoding: a JSON array that starts with a tag, binding every claim.
    expect(payloadOf(token)).toEqual([
      'agent-warden.approval.v1',
      'default',
      pending.id,
      TOOL,
      pending.argsHash,
      'alice',
      'acme',
      t.clock.now(),
      pending.expiresAt,
      expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    ]);
    expect(execute).not.toHaveBeenCalled();
  });

  it('binds null for a run without user or tenant, and such a token does not work for a user', async () => {
    const { tool, execute } = transferTool();
    const t = approvalSetup({ tools: [tool] });
    const { token } = await approvedToken(t, ARGS, { run: {} });
    expect(claimsOf(token)).toMatchObject({ userId: null, tenantId: null });
    expectInvalid(await t.warden.executeApproved(token, { ...WHO }), 'wrong_user');
    expect(execute).not.toHaveBeenCalled();
    expect((await t.warden.executeApproved(token, {})).ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('every approval gets a fresh 128-bit nonce', async () => {
    const { tool } = transferTool();
    const t = approvalSetup({ tools: [tool] });
    const nonces = new Set<string>();
    for (let i = 1; i <= 20; i++)
      nonces.add(claimsOf((await approvedToken(t, { ...ARGS, amount: i })).token).nonce);
    expect(nonces.size).toBe(20);
  });

  it('a correctly MAC-ed payload that is not the expected array is refused as malformed (no alg field is read)', async () => {
    const { tool, execute } = transferTool();
    const t = approvalSetup({ tools: [tool] });
    const { token } = await approvedToken(t);
    const claims = payloadOf(token);
    const sign = (value: unknown) => {
      const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
      return `v1.${payload}.${createHmac('sha256', SECRET).update(`v1.${payload}`).digest('base64url')}`;
    };
    const keyed = Object.fromEntries(
      ['tag', 'kid', 'pendingId', 'tool', 'argsHash', 'userId', 'tenantId', 'iat', 'exp', 'nonce'].map(
        (k, i) => [k, claims[i]],
      ),
    );
    for (const forged of [
      sign({ ...keyed, alg: 'none' }),
      sign([...claims, 'extra']),
      sign(claims.slice(0, 9)),
      sign(['agent-warden.approval.v0', ...claims.slice(1)]),
      sign(claims.map((c, i) => (i === 7 ? String(c) : c))),
      sign(claims.map((c, i) => (i === 5 ? 42 : c))),
      sign(claims.map((c, i) => (i === 2 ? '' : c))),
      `v1.${Buffer.from('not json').toString('base64url')}.${createHmac('sha256', SECRET)
        .update(`v1.${Buffer.from('not json').toString('base64url')}`)
        .digest('base64url')}`,
    ]) {
      expectInvalid(await t.warden.executeApproved(forged, { ...WHO }), 'malformed');
      expectInvalid((await callTool(t, ARGS, { call: { approval: forged } })).outcome, 'malformed');
    }
    // The same signing helper over the genuine claims reproduces the genuine token.
    expect(sign(claims)).toBe(token);
    expect(execute).not.toHaveBeenCalled();
  });

  it('never reaches the model or the telemetry: not in outcomes, audit events, spans or pending records', async () => {
    const { tool } = transferTool();
    const t = approvalSetup({ tools: [tool] });
    const { token } = await approvedToken(t);
    const viaRun = await callTool(t, ARGS, { run: { ...WHO, approvals: [token] } });
    const refused = await callTool(t, ARGS, { call: { approval: token } });
    const texts = [
      viaRun.outcome.forModel(),
      refused.outcome.forModel(),
      JSON.stringify(refused.outcome),
      JSON.stringify(t.audit.events),
      JSON.stringify(t.tracing.spans().map((s) => [s.attributes, s.events])),
      JSON.stringify(await t.warden.pending()),
    ];
    const [, payload, mac] = token.split('.') as [string, string, string];
    for (const text of texts) {
      expect(text).not.toContain(mac);
      expect(text).not.toContain(payload);
      expect(text).not.toContain(claimsOf(token).nonce);
    }
  });
});

describe('time window', () => {
  it('expired: accepted up to exp + 5 s skew, refused from there on (expired)', async () => {
    const { tool, execute } = transferTool();
    const t = approvalSetup({ tools: [tool] });
    const first = await approvedToken(t, { ...ARGS, amount: 1 });
    const second = await approvedToken(t, { ...ARGS, amount: 2 });
    t.clock.advance(TTL_MS + SKEW_MS - 1);
    expect((await t.warden.executeApproved(first.token, { ...WHO })).ok).toBe(true);
    t.clock.advance(1);
    expectInvalid(await t.warden.executeApproved(second.token, { ...WHO }), 'expired');
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('issued in the future: accepted up to 5 s ahead (skew), refused beyond (not_yet_valid)', async () => {
    const { tool, execute } = transferTool();
    const t = approvalSetup({ tools: [tool] });
    const a = await approvedToken(t, { ...ARGS, amount: 1 });
    const b = await approvedToken(t, { ...ARGS, amount: 2 });
    const now = t.clock.now();
    const beyond = craft(b.token, { iat: now + SKEW_MS + 1 }, DEFAULT_KEY);
    expectInvalid(await t.warden.executeApproved(beyond, { ...WHO }), 'not_yet_valid');
    expectInvalid(
      (await callTool(t, { ...ARGS, amount: 2 }, { call: { approval: beyond } })).outcome,
      'not_yet_valid',
    );
    expect(execute).not.toHaveBeenCalled();
    const within = craft(a.token, { iat: now + SKEW_MS }, DEFAULT_KEY);
    expect((await t.warden.executeApproved(within, { ...WHO })).ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('a token whose exp is not after its iat is expired', async () => {
    const { tool, execute } = transferTool();
    const t = approvalSetup({ tools: [tool] });
    const { token } = await approvedToken(t);
    const now = t.clock.now();
    expectInvalid(
      await t.warden.executeApproved(craft(token, { iat: now, exp: now }, DEFAULT_KEY), WHO),
      'expired',
    );
    expect(execute).not.toHaveBeenCalled();
  });
});

describe('key rotation', () => {
  function rotating(
    secret: NonNullable<WardenOptions['approvals']>['secret'],
    store: ReturnType<typeof memoryStore>,
  ) {
    const { tool, execute } = transferTool();
    const t = approvalSetup({ tools: [tool], store, approvals: { secret } });
    return { ...t, execute };
  }

  it('rotation: a token signed with k1 is accepted by { current: k2, previous: [k1] } until k1 is removed', async () => {
    const store = memoryStore();
    const before = rotating({ current: KEY1 }, store);
    const { token } = await approvedToken(before);
    expect(claimsOf(token).kid).toBe('k1');

    // k1 retired: the token no longer verifies.
    const retired = rotating({ current: KEY2 }, store);
    expectInvalid(await retired.warden.executeApproved(token, { ...WHO }), 'bad_signature');
    expectInvalid((await callTool(retired, ARGS, { call: { approval: token } })).outcome, 'bad_signature');
    expect(retired.execute).not.toHaveBeenCalled();

    // k1 still in previous: accepted, once.
    const rotated = rotating({ current: KEY2, previous: [KEY1] }, store);
    expect((await rotated.warden.executeApproved(token, { ...WHO })).ok).toBe(true);
    expect(rotated.execute).toHaveBeenCalledTimes(1);
    expectInvalid(await rotated.warden.executeApproved(token, { ...WHO }), 'used');

    // New approvals are signed with the current key.
    const fresh = await approvedToken(rotated, { ...ARGS, amount: 7 });
    expect(claimsOf(fresh.token).kid).toBe('k2');
    expectInvalid(await before.warden.executeApproved(fresh.token, { ...WHO }), 'bad_signature');
    expect(before.execute).not.toHaveBeenCalled();
  });

  it('unknown kid: a kid the keyring does not hold, over a secret it does, is refused (unknown_key)', async () => {
    const store = memoryStore();
    const t = rotating({ current: KEY2, previous: [KEY1] }, store);
    const { token } = await approvedToken(t);
    for (const kid of ['k3', 'K1', 'default', '']) {
      const forged = craft(token, {}, { id: kid, secret: KEY1.secret });
      const outcome = await t.warden.executeApproved(forged, { ...WHO });
      // An empty kid does not even decode.
      expectInvalid(outcome, kid === '' ? 'malformed' : 'unknown_key');
    }
    // A previous key's kid over the current key's secret: also refused.
    expectInvalid(
      await t.warden.executeApproved(craft(token, {}, { id: 'k1', secret: KEY2.secret }), WHO),
      'unknown_key',
    );
    expect(t.execute).not.toHaveBeenCalled();
    expect((await t.warden.executeApproved(token, { ...WHO })).ok).toBe(true);
  });
});

describe('configuration', () => {
  const gatedTool = () => transferTool().tool;

  it('missing secret with a gated tool → WardenConfigError at approvals.secret (also for approval functions)', () => {
    expect(configError(() => createWarden({ tools: [gatedTool()] })).path).toBe('approvals.secret');
    const fnTool = transferTool(() => 'none').tool;
    expect(configError(() => createWarden({ tools: [fnTool], approvals: { ttlMs: 1000 } })).path).toBe(
      'approvals.secret',
    );
    // Tools that never need approval do not need a secret.
    const free = defineTool({
      name: 'free',
      description: 'd',
      input: z.object({}),
      approval: 'none',
      execute: vi.fn(),
    });
    expect(() => createWarden({ tools: [free] })).not.toThrow();
  });

  it('short secret (< 32 bytes) → WardenConfigError at approvals.secret; 32 bytes (counted as UTF-8) is enough', () => {
    const tools = [gatedTool()];
    for (const secret of ['', 'short', 'x'.repeat(31), 'é'.repeat(15)]) {
      const error = configError(() => createWarden({ tools, approvals: { secret } }));
      expect(error.path).toBe('approvals.secret');
      expect(error.message).toMatch(/32 bytes/);
    }
    expect(() => createWarden({ tools, approvals: { secret: 'x'.repeat(32) } })).not.toThrow();
    expect(() => createWarden({ tools, approvals: { secret: 'é'.repeat(16) } })).not.toThrow();
  });

  it('short secrets in a keyring → WardenConfigError under approvals.secret', () => {
    const tools = [gatedTool()];
    const short = { id: 'old', secret: 'y'.repeat(31) };
    expect(configError(() => createWarden({ tools, approvals: { secret: { current: short } } })).path).toBe(
      'approvals.secret.current.secret',
    );
    expect(
      configError(() => createWarden({ tools, approvals: { secret: { current: KEY1, previous: [short] } } }))
        .path,
    ).toMatch(/^approvals\.secret\.previous/);
    expect(
      configError(() =>
        createWarden({ tools, approvals: { secret: { current: { id: '', secret: SECRET } } as never } }),
      ).path,
    ).toMatch(/^approvals\.secret/);
    expect(
      configError(() => createWarden({ tools, approvals: { secret: 42 as unknown as string } })).path,
    ).toMatch(/^approvals\.secret/);
  });

  it('duplicate key ids in the keyring → WardenConfigError at approvals.secret', () => {
    const tools = [gatedTool()];
    for (const secret of [
      { current: KEY1, previous: [{ id: 'k1', secret: KEY2.secret }] },
      { current: KEY1, previous: [KEY2, { ...KEY2, secret: `${KEY2.secret}!` }] },
    ]) {
      const error = configError(() => createWarden({ tools, approvals: { secret } }));
      expect(error.path).toBe('approvals.secret');
      expect(error.message).toMatch(/appears twice/);
    }
  });

  it('a warden without approvals configured refuses any token in executeApproved', async () => {
    const execute = vi.fn();
    const free = defineTool({ name: TOOL, description: 'd', input: z.object({}), execute });
    const warden = createWarden({ tools: [free] });
    const other = approvalSetup({ tools: [transferTool().tool] });
    const { token } = await approvedToken(other);
    expectInvalid(await warden.executeApproved(token, { ...WHO }), 'not_approved');
    expect(execute).not.toHaveBeenCalled();
  });

  it('the approval request itself is stored: a second warden on the same store sees and approves it', async () => {
    const store = memoryStore();
    const a = approvalSetup({ tools: [transferTool().tool], store });
    const pending = await requestApproval(a);
    const { tool, execute } = transferTool();
    const b = approvalSetup({ tools: [tool], store }, a.clock);
    expect((await b.warden.pending()).map((p) => p.id)).toEqual([pending.id]);
    const granted = await b.warden.approve(pending.id, { approver: 'bob' });
    if (granted.status !== 'approved') throw new Error('expected a token');
    expect((await b.warden.executeApproved(granted.token, { ...WHO })).ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
  });
});
