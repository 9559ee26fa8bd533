import type { ApprovalLevel } from '../define-tool.js';
import type { PipelineStep } from '../call.js';
import { fail } from '../outcome.js';
import { ruleContext } from './validate.js';

/** The approval level a call needs: the tool's `approval`, or what its function returns for these args. */
export async function approvalLevel(call: Parameters<PipelineStep['run']>[0]): Promise<ApprovalLevel> {
  const approval = call.tool!.tool.approval;
  if (approval === undefined) return 'none';
  const level = typeof approval === 'function' ? await approval(call.args, ruleContext(call)) : approval;
  return level === 'none' || level === 'confirm' || level === 'dual' ? level : 'dual';
}

/**
 * 7. Approval. A call that needs approval does not run without it.
 * (Pending approvals and signed tokens are being built; until then every
 * gated call is refused, never run.)
 */
export const approval: PipelineStep = {
  name: 'approval',
  async run(call) {
    const tool = call.tool!;
    if (!tool.mayNeedApproval) return undefined;
    let level: ApprovalLevel;
    try {
      level = await approvalLevel(call);
    } catch {
      level = 'dual';
    }
    if (level === 'none') return undefined;
    return fail(
      'approval_required',
      `${tool.name} needs human approval before it can run — tell the user what you want to do and do not retry.`,
      call.callId,
      { level },
    );
  },
};
