import type { EventIdentity } from '../audit/emitter.js';
import { WardenError } from '../errors.js';
import { canonicalJson } from '../internal/canonical-json.js';
import type { WardenCore } from '../run/core.js';
import type { PendingApproval } from '../run/types.js';
import {
  bindingProblem,
  type Keyring,
  newNonce,
  signToken,
  type TokenProblem,
  verifyToken,
} from './token.js';

/** A pending approval as kept in the store. */
export interface StoredApproval extends PendingApproval {
  /** The arguments as the model sent them (before schema transforms); what `executeApproved` replays. */
  input?: unknown;
  status: 'pending' | 'approved' | 'rejected' | 'consumed' | 'expired';
  required: 1 | 2;
  approvers: string[];
  nonce?: string;
  rejectedBy?: string;
  reason?: string;
}

export type ApproveResult =
  | { status: 'approved'; token: string }
  | { status: 'awaiting'; approvals: number; required: number };

/** Codes of errors thrown by approve / reject. */
export type ApprovalErrorCode =
  | 'approval_not_found'
  | 'approval_expired'
  | 'approval_rejected'
  | 'approval_consumed'
  | 'approval_already_approved'
  | 'approval_same_approver'
  | 'approval_bad_request'
  | 'store_unavailable';

const PREFIX = 'approval:';
/** Records outlive their expiry by this much, so a late approve can say "expired" rather than "not found". */
const RECORD_GRACE_MS = 86_400_000;
const CAS_ATTEMPTS = 5;

function approvalError(code: ApprovalErrorCode, message: string, cause?: unknown): WardenError {
  return new WardenError({ code, message, cause });
}

/** A readable account of one call, for the human who approves it. */
export function defaultSummary(tool: string, args: unknown): string {
  return `${tool} ${canonicalJson(args)}`;
}

/** Pending approvals and their tokens, kept in the warden's store. */
export class ApprovalService {
  readonly #core: WardenCore;

  constructor(core: WardenCore) {
    this.#core = core;
  }

  get #keys(): Keyring {
    const keys = this.#core.options.approvals.keys;
    if (!keys) {
      throw approvalError(
        'approval_bad_request',
        'approvals.secret is not configured, so no approval can be granted; set it in createWarden({ approvals: { secret } })',
      );
    }
    return keys;
  }

  #identity(record: PendingApproval): EventIdentity {
    return { runId: record.runId, userId: record.userId, tenantId: record.tenantId };
  }

  /** Store a new pending approval and audit the request. */
  async request(
    input: Omit<PendingApproval, 'id' | 'requestedAt' | 'expiresAt'> & { input?: unknown },
    identity: EventIdentity,
  ) {
    const now = this.#core.clock.now();
    const ttlMs = this.#core.options.approvals.ttlMs;
    const record: StoredApproval = {
      ...input,
      id: this.#core.generateId(),
      requestedAt: now,
      expiresAt: now + ttlMs,
      status: 'pending',
      required: input.level === 'dual' ? 2 : 1,
      approvers: [],
    };
    await this.#core.store.putRecord(PREFIX + record.id, record, ttlMs + RECORD_GRACE_MS);
    this.#core.audit.emit(identity, {
      type: 'approval_requested',
      pendingId: record.id,
      tool: record.tool,
      level: record.level,
      argsHash: record.argsHash,
    });
    return publicView(record);
  }

  async #load(id: unknown): Promise<{ value: StoredApproval; version: number }> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
      throw approvalError('approval_bad_request', 'expected a pending approval id (a non-empty string)');
    }
    let found: { value: StoredApproval; version: number } | null;
    try {
      found = await this.#core.store.getRecord<StoredApproval>(PREFIX + id);
    } catch (error) {
      throw approvalError('store_unavailable', 'the approval store is unavailable; try again', error);
    }
    if (!found) throw approvalError('approval_not_found', `no pending approval '${id}'`);
    return found;
  }

  /** Compare-and-set one record; a store failure is a `store_unavailable` WardenError, as for reads. */
  async #write(id: string, version: number, value: StoredApproval, ttlMs: number) {
    try {
      return await this.#core.store.updateRecord(PREFIX + id, version, value, ttlMs);
    } catch (error) {
      throw approvalError('store_unavailable', 'the approval store is unavailable; try again', error);
    }
  }

  /** Apply `change` to a record with compare-and-set, retrying on concurrent updates. */
  async #update(
    id: string,
    change: (record: StoredApproval, now: number) => StoredApproval | WardenError,
  ): Promise<StoredApproval> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const { value, version } = await this.#load(id);
      const now = this.#core.clock.now();
      if (value.status === 'pending' && now >= value.expiresAt) {
        const expired = { ...value, status: 'expired' as const };
        if ((await this.#write(id, version, expired, RECORD_GRACE_MS)) !== null) {
          this.#core.audit.emit(this.#identity(value), {
            type: 'approval_expired',
            pendingId: id,
            tool: value.tool,
          });
        }
        throw approvalError(
          'approval_expired',
          `pending approval '${id}' expired; the action must be requested again`,
        );
      }
      const next = change(value, now);
      if (next instanceof WardenError) throw next;
      const ttl = Math.max(1, next.expiresAt - now) + RECORD_GRACE_MS;
      if ((await this.#write(id, version, next, ttl)) !== null) return next;
    }
    throw approvalError(
      'store_unavailable',
      `pending approval '${id}' is being changed concurrently; try again`,
    );
  }

  async approve(id: string, options: { approver: string }): Promise<ApproveResult> {
    const approver = options?.approver;
    if (typeof approver !== 'string' || approver.length === 0 || approver.length > 256) {
      throw approvalError(
        'approval_bad_request',
        'approve(id, { approver }): expected the approver as a non-empty string',
      );
    }
    const keys = this.#keys;
    let token: string | undefined;
    const next = await this.#update(id, (record, now) => {
      if (record.status !== 'pending') return statusError(record);
      if (record.approvers.includes(approver)) {
        return approvalError(
          'approval_same_approver',
          `'${approver}' already approved '${id}'; a 'dual' approval needs a second, different approver`,
        );
      }
      const approvers = [...record.approvers, approver];
      if (approvers.length < record.required) return { ...record, approvers };
      const nonce = newNonce();
      token = signToken(
        {
          pendingId: record.id,
          tool: record.tool,
          argsHash: record.argsHash,
          userId: record.userId ?? null,
          tenantId: record.tenantId ?? null,
          iat: now,
          exp: record.expiresAt,
          nonce,
        },
        keys.current,
      );
      return { ...record, approvers, status: 'approved', nonce };
    });
    if (next.status !== 'approved' || !token) {
      return { status: 'awaiting', approvals: next.approvers.length, required: next.required };
    }
    this.#core.audit.emit(this.#identity(next), {
      type: 'approval_granted',
      pendingId: next.id,
      tool: next.tool,
      approvers: [...next.approvers],
    });
    return { status: 'approved', token };
  }

  async reject(id: string, options: { approver: string; reason?: string }): Promise<void> {
    const approver = options?.approver;
    if (typeof approver !== 'string' || approver.length === 0 || approver.length > 256) {
      throw approvalError(
        'approval_bad_request',
        'reject(id, { approver }): expected the approver as a non-empty string',
      );
    }
    const reason = typeof options.reason === 'string' ? options.reason.slice(0, 1000) : undefined;
    // Rejecting an approved action that has not run yet revokes its token.
    const next = await this.#update(id, (record) =>
      record.status === 'pending' || record.status === 'approved'
        ? { ...record, status: 'rejected', rejectedBy: approver, ...(reason ? { reason } : {}) }
        : statusError(record),
    );
    this.#core.audit.emit(this.#identity(next), {
      type: 'approval_rejected',
      pendingId: next.id,
      tool: next.tool,
      approver,
      ...(reason ? { reason } : {}),
    });
  }

  /** Open (not yet approved, rejected, consumed or expired) approvals, oldest first. */
  async list(filter: { userId?: string; tenantId?: string } = {}): Promise<PendingApproval[]> {
    const now = this.#core.clock.now();
    let records: Array<{ value: StoredApproval }>;
    try {
      records = await this.#core.store.listRecords<StoredApproval>(PREFIX);
    } catch (error) {
      throw approvalError('store_unavailable', 'the approval store is unavailable; try again', error);
    }
    return records
      .map((r) => r.value)
      .filter(
        (r) =>
          r.status === 'pending' &&
          now < r.expiresAt &&
          (filter.userId === undefined || r.userId === filter.userId) &&
          (filter.tenantId === undefined || r.tenantId === filter.tenantId),
      )
      .sort((a, b) => a.requestedAt - b.requestedAt || (a.id < b.id ? -1 : 1))
      .map(publicView);
  }

  /** The stored record of a pending approval, or null. */
  async find(id: string): Promise<StoredApproval | null> {
    return (await this.#core.store.getRecord<StoredApproval>(PREFIX + id))?.value ?? null;
  }

  /**
   * Redeem a token for one call: verify it, check it is bound to exactly this
   * call, that its approval is granted and unused, then consume its nonce
   * atomically (single use, also under concurrency). Returns the pending id,
   * or the problem. Store failures throw.
   */
  async redeem(
    token: unknown,
    call: { tool: string; argsHash: string; userId: string | undefined; tenantId: string | undefined },
    identity: EventIdentity,
  ): Promise<{ ok: true; pendingId: string } | { ok: false; problem: TokenProblem; pendingId?: string }> {
    const now = this.#core.clock.now();
    const verified = verifyToken(token, this.#keys, now);
    if (!verified.ok) return verified;
    const { claims } = verified;
    const binding = bindingProblem(claims, call);
    if (binding) return { ok: false, problem: binding, pendingId: claims.pendingId };
    const found = await this.#core.store.getRecord<StoredApproval>(PREFIX + claims.pendingId);
    const record = found?.value;
    if (
      !record ||
      record.status === 'pending' ||
      record.status === 'rejected' ||
      record.status === 'expired'
    ) {
      return { ok: false, problem: 'not_approved', pendingId: claims.pendingId };
    }
    if (record.status === 'consumed') return { ok: false, problem: 'used', pendingId: claims.pendingId };
    if (record.nonce !== claims.nonce || record.argsHash !== claims.argsHash || record.tool !== claims.tool) {
      return { ok: false, problem: 'not_approved', pendingId: claims.pendingId };
    }
    const first = await this.#core.store.consumeNonce(
      `approval-nonce:${claims.nonce}`,
      Math.max(1, claims.exp - now) + RECORD_GRACE_MS,
    );
    if (!first) return { ok: false, problem: 'used', pendingId: claims.pendingId };
    // The nonce is the authority for single use; the status update is best effort bookkeeping.
    await this.#update(claims.pendingId, (r) => ({ ...r, status: 'consumed' })).catch(() => undefined);
    this.#core.audit.emit(identity, {
      type: 'approval_consumed',
      pendingId: claims.pendingId,
      tool: claims.tool,
    });
    return { ok: true, pendingId: claims.pendingId };
  }
}

function statusError(record: StoredApproval): WardenError {
  switch (record.status) {
    case 'approved':
      return approvalError('approval_already_approved', `'${record.id}' is already approved`);
    case 'rejected':
      return approvalError('approval_rejected', `'${record.id}' was rejected and cannot be approved`);
    case 'consumed':
      return approvalError('approval_consumed', `'${record.id}' was already executed`);
    default:
      return approvalError('approval_expired', `'${record.id}' expired; the action must be requested again`);
  }
}

function publicView(record: StoredApproval): PendingApproval {
  return {
    id: record.id,
    tool: record.tool,
    args: record.args,
    argsHash: record.argsHash,
    level: record.level,
    summary: record.summary,
    userId: record.userId,
    tenantId: record.tenantId,
    runId: record.runId,
    requestedAt: record.requestedAt,
    expiresAt: record.expiresAt,
  };
}
