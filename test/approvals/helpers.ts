import {
  type ApprovalKey,
  type ApprovalLevel,
  defineTool,
  type PendingApproval,
  type RuleContext,
  type RunOptions,
  type ToolCallOptions,
  type ToolContext,
  type ToolOutcome,
  type WardenOptions,
} from 'agent-warden';
import { createManualClock, type ManualClock } from 'agent-warden/testing';
import { expect, vi } from 'vitest';
import { z } from 'zod';
// Internal: only for crafting tokens an attacker could not sign through the public API.
import { signToken, type TokenClaims } from '../../src/approvals/token.js';
import { setup } from '../warden/helpers.js';

/** A secret of >= 32 bytes. */
export const SECRET = 'approval-secret-for-tests-0123456789abcdef';
export const KEY1: ApprovalKey = { id: 'k1', secret: 'first-key-secret-0123456789abcdef-0123456789' };
export const KEY2: ApprovalKey = { id: 'k2', secret: 'second-key-secret-0123456789abcdef-012345678' };
/** Who the approved action is for. */
export const WHO = { userId: 'alice', tenantId: 'acme' } as const;
export const ARGS = { to: 'acct-42', amount: 5000, memo: 'rent' };
export const TOOL = 'transfer_funds';
/** `approvals.ttlMs` used by these tests. */
export const TTL_MS = 60_000;
/** The clock skew the token verifier tolerates (5 s). */
export const SKEW_MS = 5_000;

export type Transfer = { to: string; amount: number; memo?: string };
type TransferApproval = ApprovalLevel | ((args: Transfer, ctx: RuleContext) => ApprovalLevel);

/** A write tool that needs approval; its `execute` is a spy. */
export function transferTool(
  approval: TransferApproval = 'confirm',
  extra: { name?: string; summarize?: (args: Transfer) => string } = {},
) {
  const execute = vi.fn(async (args: Transfer, _ctx: ToolContext) => ({
    transferId: `tx-${args.to}-${args.amount}`,
  }));
  const tool = defineTool({
    name: extra.name ?? TOOL,
    description: 'Move money to another account',
    input: z.object({ to: z.string(), amount: z.number().positive(), memo: z.string().optional() }),
    approval,
    ...(extra.summarize ? { summarize: extra.summarize } : {}),
    execute,
  });
  return { tool, execute };
}

type SetupOptions = Omit<WardenOptions, 'audit' | 'telemetry' | 'clock'>;

/** A warden with a manual clock, a real OTel tracer, an in-memory audit and `approvals.secret` set. */
export function approvalSetup(options: SetupOptions = {}, clock: ManualClock = createManualClock()) {
  const t = setup({ clock, ...options, approvals: { secret: SECRET, ttlMs: TTL_MS, ...options.approvals } });
  return { ...t, clock };
}

export type ApprovalSetup = ReturnType<typeof approvalSetup>;

/** Make one tool call in a run of its own. */
export async function callTool(
  t: ApprovalSetup,
  args: unknown = ARGS,
  options: { name?: string; run?: RunOptions; call?: ToolCallOptions } = {},
) {
  let outcome: ToolOutcome | undefined;
  const result = await t.warden.run(options.run ?? { ...WHO }, async (run) => {
    outcome = await run.tool(options.name ?? TOOL, args, options.call);
    return 'done';
  });
  return { outcome: outcome!, result };
}

/** Make the call, expect `approval_required`, and return the pending approval it created. */
export async function requestApproval(
  t: ApprovalSetup,
  args: unknown = ARGS,
  options: { name?: string; run?: RunOptions } = {},
): Promise<PendingApproval> {
  const { outcome, result } = await callTool(t, args, options);
  expectRequired(outcome);
  expect(result.pending).toHaveLength(1);
  return result.pending[0]!;
}

/** Request approval for a call and have one human approve it. */
export async function approvedToken(
  t: ApprovalSetup,
  args: unknown = ARGS,
  options: { name?: string; run?: RunOptions } = {},
): Promise<{ pending: PendingApproval; token: string }> {
  const pending = await requestApproval(t, args, options);
  const granted = await t.warden.approve(pending.id, { approver: 'bob' });
  if (granted.status !== 'approved') throw new Error(`expected a token, got ${JSON.stringify(granted)}`);
  return { pending, token: granted.token };
}

export function expectRequired(outcome: ToolOutcome): void {
  expect(outcome.ok).toBe(false);
  if (outcome.ok) return;
  expect(outcome.error.code).toBe('approval_required');
}

/** The call was refused with `approval_invalid` for `reason`. */
export function expectInvalid(outcome: ToolOutcome, reason: string): void {
  expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
  if (outcome.ok) return;
  expect(outcome.error.code).toBe('approval_invalid');
  expect(outcome.error.details?.reason).toBe(reason);
  expect(outcome.error.retryable).toBe(false);
}

/** The claims inside a token's payload (read without checking the MAC). */
export function claimsOf(token: string): TokenClaims {
  const [, kid, pendingId, tool, argsHash, userId, tenantId, iat, exp, nonce] = JSON.parse(
    Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'),
  ) as [string, string, string, string, string, string | null, string | null, number, number, string];
  return { kid, pendingId, tool, argsHash, userId, tenantId, iat, exp, nonce };
}

/** Sign the claims of `token`, changed by `changes`, with `key`. */
export function craft(token: string, changes: Partial<Omit<TokenClaims, 'kid'>>, key: ApprovalKey): string {
  const { kid: _kid, ...claims } = claimsOf(token);
  return signToken({ ...claims, ...changes }, key);
}

/** The default single key, as `approvals: { secret: SECRET }` configures it. */
export const DEFAULT_KEY: ApprovalKey = { id: 'default', secret: SECRET };

/** Replace the payload segment of a token by `payload` re-encoded, keeping version and MAC. */
export function withPayload(token: string, payload: unknown[]): string {
  const [version, , mac] = token.split('.');
  return `${version}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
}

/** The raw payload array of a token. */
export function payloadOf(token: string): unknown[] {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as unknown[];
}

export const BASE64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Another base64url character than `c` (shifted by one in the alphabet; `.` becomes `A`). */
export function otherChar(c: string): string {
  const i = BASE64URL_CHARS.indexOf(c);
  return i < 0 ? 'A' : BASE64URL_CHARS[(i + 1) % BASE64URL_CHARS.length]!;
}
