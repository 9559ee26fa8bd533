import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApprovalKey } from '../options.js';

/** What a confirmation token binds: one approved call, for one user and tenant, until `exp`. */
export interface TokenClaims {
  kid: string;
  pendingId: string;
  tool: string;
  argsHash: string;
  userId: string | null;
  tenantId: string | null;
  /** Issued at, epoch ms. */
  iat: number;
  /** Expires at, epoch ms. */
  exp: number;
  /** Consumed once in the store: the token is single use. */
  nonce: string;
}

export interface Keyring {
  current: ApprovalKey;
  previous: ApprovalKey[];
}

/** Why a token was refused. */
export type TokenProblem =
  | 'malformed'
  | 'bad_signature'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_tool'
  | 'wrong_args'
  | 'wrong_user'
  | 'wrong_tenant'
  | 'used'
  | 'not_approved';

const VERSION = 'v1';
const TAG = 'agent-warden.approval.v1';
const MAC_BYTES = 32;
const MAC_CHARS = 43; // base64url of 32 bytes, unpadded
const MAX_TOKEN_CHARS = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Clock skew tolerated on `iat` and `exp`. */
export const TOKEN_SKEW_MS = 5_000;

function mac(secret: string, signed: string): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

/** A fresh random nonce (128 bits). */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Sign claims as `v1.<base64url payload>.<base64url HMAC-SHA256>`. The
 * payload is a JSON array that starts with a version tag, so no two claim
 * sets encode alike and no field can choose the algorithm.
 */
export function signToken(claims: Omit<TokenClaims, 'kid'>, key: ApprovalKey): string {
  const encoded = [
    TAG,
    key.id,
    claims.pendingId,
    claims.tool,
    claims.argsHash,
    claims.userId,
    claims.tenantId,
    claims.iat,
    claims.exp,
    claims.nonce,
  ];
  const payload = Buffer.from(JSON.stringify(encoded)).toString('base64url');
  const signed = `${VERSION}.${payload}`;
  return `${signed}.${mac(key.secret, signed).toString('base64url')}`;
}

function decodeClaims(payload: string): TokenClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 10 || value[0] !== TAG) return null;
  const [, kid, pendingId, tool, argsHash, userId, tenantId, iat, exp, nonce] = value as unknown[];
  const str = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 512;
  const optStr = (v: unknown) => v === null || str(v);
  const time = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
  if (!str(kid) || !str(pendingId) || !str(tool) || !str(argsHash) || !str(nonce)) return null;
  if (!optStr(userId) || !optStr(tenantId) || !time(iat) || !time(exp)) return null;
  return {
    kid: kid as string,
    pendingId: pendingId as string,
    tool: tool as string,
    argsHash: argsHash as string,
    userId: userId as string | null,
    tenantId: tenantId as string | null,
    iat: iat as number,
    exp: exp as number,
    nonce: nonce as string,
  };
}

/**
 * Verify a token's form, signature, key id and time window (not its binding
 * to a call, nor its single use). Order: shape and lengths, then a
 * constant-time MAC compare against each key of the keyring, then the key id
 * inside the signed payload, then `iat` / `exp` with a small skew.
 */
export function verifyToken(
  token: unknown,
  keyring: Keyring,
  now: number,
): { ok: true; claims: TokenClaims } | { ok: false; problem: TokenProblem } {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
    return { ok: false, problem: 'malformed' };
  }
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, problem: 'malformed' };
  const [version, payload, macText] = parts as [string, string, string];
  if (
    version !== VERSION ||
    !BASE64URL.test(payload) ||
    macText.length !== MAC_CHARS ||
    !BASE64URL.test(macText)
  ) {
    return { ok: false, problem: 'malformed' };
  }
  const given = Buffer.from(macText, 'base64url');
  if (given.length !== MAC_BYTES || given.toString('base64url') !== macText)
    return { ok: false, problem: 'malformed' };
  const signed = `${version}.${payload}`;
  let key: ApprovalKey | undefined;
  for (const candidate of [keyring.current, ...keyring.previous]) {
    const expected = mac(candidate.secret, signed);
    // Lengths are equal by construction (checked above), so timingSafeEqual cannot throw.
    if (timingSafeEqual(expected, given) && key === undefined) key = candidate;
  }
  if (!key) return { ok: false, problem: 'bad_signature' };
  const claims = decodeClaims(payload);
  if (!claims) return { ok: false, problem: 'malformed' };
  if (claims.kid !== key.id) return { ok: false, problem: 'unknown_key' };
  if (claims.iat > now + TOKEN_SKEW_MS) return { ok: false, problem: 'not_yet_valid' };
  if (claims.exp + TOKEN_SKEW_MS <= now || claims.exp <= claims.iat) return { ok: false, problem: 'expired' };
  return { ok: true, claims };
}

/** Check a verified token is for exactly this call (tool, canonical args, user, tenant). */
export function bindingProblem(
  claims: TokenClaims,
  call: { tool: string; argsHash: string; userId: string | undefined; tenantId: string | undefined },
): TokenProblem | null {
  if (claims.tool !== call.tool) return 'wrong_tool';
  if (claims.argsHash !== call.argsHash) return 'wrong_args';
  if (claims.userId !== (call.userId ?? null)) return 'wrong_user';
  if (claims.tenantId !== (call.tenantId ?? null)) return 'wrong_tenant';
  return null;
}
