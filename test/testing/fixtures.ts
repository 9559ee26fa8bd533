import { createWarden, defineTool, memoryAudit, type WardenOptions } from 'agent-warden';
import { createManualClock, recordSpans } from 'agent-warden/testing';
import { vi } from 'vitest';
import { z } from 'zod';

/** Real executes that must never run in a test that mocks them. */
export const realSearch = vi.fn(async ({ q }: { q: string }) => ({ hits: [`real result for ${q}`] }));
export const realSend = vi.fn(async (_args: { to: string; subject: string }) => ({ id: 'real-message' }));
export const realRefund = vi.fn(async (_args: { orderId: string; amount: number }) => ({
  refundId: 'real-refund',
}));

export const searchDocs = defineTool({
  name: 'search_docs',
  description: 'Search the help center',
  input: z.object({ q: z.string().min(1) }),
  output: z.object({ hits: z.array(z.string()) }),
  effect: 'read',
  timeoutMs: 40,
  retry: { retries: 2, minDelayMs: 100, maxDelayMs: 1_000 },
  execute: (args) => realSearch(args),
});

export const sendEmail = defineTool({
  name: 'send_email',
  description: 'Email the customer',
  input: z.object({ to: z.email(), subject: z.string() }),
  rules: [(a) => a.to.endsWith('@example.com') || { path: ['to'], message: 'only customer addresses' }],
  execute: (args) => realSend(args),
});

export const refundOrder = defineTool({
  name: 'refund_order',
  description: 'Refund an order',
  input: z.object({ orderId: z.string(), amount: z.number().positive() }),
  approval: (a) => (a.amount > 100 ? 'confirm' : 'none'),
  execute: (args) => realRefund(args),
});

export const TOOLS = [searchDocs, sendEmail, refundOrder] as const;
export const SECRET = 'testing-kit-secret-0123456789abcdef-0123456789';

/** A warden over the three tools with a manual clock, an audit, spans and an approval secret. */
export function kitWarden(options: Omit<WardenOptions, 'tools'> = {}) {
  const clock = createManualClock();
  const audit = memoryAudit();
  const spans = recordSpans();
  let n = 0;
  const warden = createWarden({
    agent: { name: 'kit-agent' },
    tools: TOOLS,
    clock,
    audit,
    telemetry: { tracer: spans.tracer },
    approvals: { secret: SECRET },
    generateId: () => `id${String(++n).padStart(4, '0')}`,
    random: () => 0.5, // retry jitter: the same backoff every time
    ...options,
  });
  return { warden, clock, audit, spans };
}

/** Make one tool call in a run of its own. */
export async function callOnce(
  warden: { run: ReturnType<typeof kitWarden>['warden']['run'] },
  name: string,
  args: unknown,
) {
  return warden.run({ userId: 'u1' }, (run) => run.tool(name, args));
}
