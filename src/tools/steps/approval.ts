import { defaultSummary } from '../../approvals/service.js';
import type { TokenProblem } from '../../approvals/token.js';
import type { PendingApproval } from '../../run/types.js';
import { ATTR, SPAN_EVENT } from '../../telemetry/attributes.js';
import { argsHashOf } from '../args-hash.js';
import type { PipelineStep, ToolCall } from '../call.js';
import type { ApprovalLevel } from '../define-tool.js';
import { fail, failureOutcome, type ToolOutcome } from '../outcome.js';
import { flushFirst } from './prechecks.js';
import { storeFailure } from './store-failure.js';
import { ruleContext } from './validate.js';

/** The approval level a call needs: the tool's `approval`, or what its function returns for these args. */
export async function approvalLevel(call: ToolCall): Promise<ApprovalLevel> {
  const approval = call.tool!.tool.approval;
  if (approval === undefined) return 'none';
  const level = typeof approval === 'function' ? await approval(call.args, ruleContext(call)) : approval;
  // Anything but a known level fails closed to the strictest one.
  return level === 'none' || level === 'confirm' || level === 'dual' ? level : 'dual';
}

const PROBLEM_TEXT: Record<TokenProblem, string> = {
  malformed: 'the approval token is malformed',
  bad_signature: 'the approval token is not genuine',
  unknown_key: 'the approval token was signed with an unknown key',
  expired: 'the approval has expired',
  not_yet_valid: 'the approval token is not valid yet',
  wrong_tool: 'the approval is for another tool',
  wrong_args: 'the approval is for different arguments',
  wrong_user: 'the approval is for another user',
  wrong_tenant: 'the approval is for another tenant',
  used: 'the approval was already used',
  not_approved: 'the action was not approved',
};

function invalid(call: ToolCall, problem: TokenProblem, pendingId?: string): ToolOutcome {
  if (pendingId) call.span.span.setAttribute(ATTR.WARDEN_APPROVAL_ID, pendingId);
  return fail(
    'approval_invalid',
    `${call.tool!.name}: ${PROBLEM_TEXT[problem]}, so the call was not made — ask the user to approve it again; do not retry.`,
    call.callId,
    { reason: problem },
  );
}

const PENDING_BY_CALL = 'approvals.pendingByCall';

/**
 * 7. Approval. A call whose tool needs approval runs only with a valid,
 * unused token bound to exactly this call (from `{ approval }` on the call or
 * `approvals` on the run). Otherwise a pending approval is created and the
 * call returns `approval_required` (or the run stops, in `'interrupt'` mode).
 * Nothing in the arguments can grant approval.
 */
export const approval: PipelineStep = {
  name: 'approval',
  run(call) {
    return call.tool!.mayNeedApproval ? checkApproval(call) : undefined;
  },
};

async function checkApproval(call: ToolCall): Promise<ToolOutcome | undefined> {
  const tool = call.tool!;
  const { run } = call;
  const core = run.core;
  let level: ApprovalLevel;
  try {
    level = await approvalLevel(call);
  } catch {
    level = 'dual';
  }
  // A token given for this call is always checked, even if the call would not need approval now:
  // it names one call for one user, once (executeApproved relies on this).
  if (level === 'none' && call.options.approval === undefined) return undefined;
  // Tokens and pending approvals are store work with effects: the kill and budget checks answer first.
  const first = await flushFirst(call);
  if (first) return first;
  const approvals = core.approvals;
  const argsHash = argsHashOf(call)!;
  const binding = { tool: tool.name, argsHash, userId: run.userId, tenantId: run.tenantId };
  try {
    const explicit = call.options.approval;
    if (explicit !== undefined) {
      const redeemed = await approvals.redeem(explicit, binding, run.identity);
      if (!redeemed.ok) return invalid(call, redeemed.problem, redeemed.pendingId);
      call.approvedPendingId = redeemed.pendingId;
      call.span.span.setAttribute(ATTR.WARDEN_APPROVAL_ID, redeemed.pendingId);
      return undefined;
    }
    if (level === 'none') return undefined;
    for (const token of run.approvals) {
      const redeemed = await approvals.redeem(token, binding, run.identity);
      if (redeemed.ok) {
        call.approvedPendingId = redeemed.pendingId;
        call.span.span.setAttribute(ATTR.WARDEN_APPROVAL_ID, redeemed.pendingId);
        return undefined;
      }
    }
    return await requestApproval(call, level, argsHash);
  } catch (error) {
    if (run.stopped) throw run.stopped;
    return storeFailure(call, 'approval', error, { allowFailOpen: false });
  }
}

async function requestApproval(call: ToolCall, level: 'confirm' | 'dual', argsHash: string) {
  const { run } = call;
  const tool = call.tool!;
  const core = run.core;
  // The same call asked again in this run reuses its open approval instead of piling up new ones.
  let byCall = run.stepState.get(PENDING_BY_CALL) as Map<string, PendingApproval> | undefined;
  if (!byCall) {
    byCall = new Map();
    run.stepState.set(PENDING_BY_CALL, byCall);
  }
  const callKey = `${tool.name}\n${argsHash}`;
  let pending = byCall.get(callKey);
  if (pending && core.clock.now() < pending.expiresAt) {
    // Reuse it only while it is still open: once approved, rejected or used, ask again.
    const stored = await core.approvals.find(pending.id);
    if (stored?.status !== 'pending') pending = undefined;
  }
  if (!pending || core.clock.now() >= pending.expiresAt) {
    let summary: string;
    try {
      summary = tool.tool.summarize
        ? String(tool.tool.summarize(call.args))
        : defaultSummary(tool.name, call.args);
    } catch {
      summary = defaultSummary(tool.name, call.args);
    }
    pending = await core.approvals.request(
      {
        tool: tool.name,
        args: call.args,
        input: call.inputArgs,
        argsHash,
        level,
        summary,
        userId: run.userId,
        tenantId: run.tenantId,
        runId: run.id,
      },
      run.identity,
    );
    byCall.set(callKey, pending);
    run.pending.push(pending);
    call.span.span.addEvent(SPAN_EVENT.APPROVAL_REQUESTED, {
      [ATTR.WARDEN_APPROVAL_ID]: pending.id,
      [ATTR.WARDEN_APPROVAL_LEVEL]: level,
    });
    // Automatic approval can stand in for one person ('confirm'), never for two ('dual').
    if (level === 'confirm' && (await autoApproved(call, pending))) {
      const granted = await core.approvals.approve(pending.id, { approver: 'auto' });
      if (granted.status === 'approved') {
        const redeemed = await core.approvals.redeem(
          granted.token,
          { tool: tool.name, argsHash, userId: run.userId, tenantId: run.tenantId },
          run.identity,
        );
        if (redeemed.ok) {
          // It no longer awaits anyone, so it is not listed among the run's pending approvals.
          run.pending.splice(run.pending.indexOf(pending), 1);
          call.approvedPendingId = redeemed.pendingId;
          call.span.span.setAttribute(ATTR.WARDEN_APPROVAL_ID, redeemed.pendingId);
          return undefined;
        }
      }
    }
  }
  call.span.span.setAttribute(ATTR.WARDEN_APPROVAL_ID, pending.id);
  if (core.options.approvals.mode === 'interrupt') {
    run.stop(
      { code: 'approval_required', pendingId: pending.id, tool: tool.name },
      `${tool.name} needs human approval (${pending.id}); the run stops until it is approved`,
    );
  }
  return failureOutcome(
    {
      code: 'approval_required',
      message:
        `${tool.name} needs human approval before it runs (${level === 'dual' ? 'two approvers' : 'one approver'}). ` +
        'Tell the user exactly what you want to do and that it awaits their approval; do not retry the call.',
      retryable: false,
      details: { pendingId: pending.id, level },
    },
    call.callId,
    pending,
  );
}

/** `approvals.autoApprove` said yes. A hook that throws is a no (the request waits for a person), recorded on the span. */
async function autoApproved(call: ToolCall, pending: PendingApproval): Promise<boolean> {
  const auto = call.run.core.options.approvals.autoApprove;
  if (!auto) return false;
  try {
    return (await auto(pending)) === true;
  } catch (error) {
    call.span.span.recordException(error instanceof Error ? error : new Error(String(error)));
    return false;
  }
}
