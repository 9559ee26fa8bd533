// A small customer-support agent, as a team would write it: its tools, talking to a helpdesk API,
// and the warden that guards them. support-agent.test.ts tests it with agent-warden/testing —
// no network, no API key: the tests replace only each tool's `execute` and script the model.
import { createWarden, defineTool, type WardenOptions } from 'agent-warden';
import { z } from 'zod';

// ---- The helpdesk API (never reached from the tests) ---------------------------------------------

const HELPDESK_URL = process.env.HELPDESK_URL ?? 'https://helpdesk.example.com/api';

async function helpdesk<T>(
  path: string,
  init: { signal: AbortSignal; body?: unknown; idempotencyKey?: string | undefined },
): Promise<T> {
  const response = await fetch(`${HELPDESK_URL}${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: init.signal,
  });
  if (!response.ok) {
    // `status` is what the warden reads to tell transient failures (retried) from permanent ones.
    throw Object.assign(new Error(`helpdesk ${path}: HTTP ${response.status}`), { status: response.status });
  }
  return (await response.json()) as T;
}

// ---- Tools ---------------------------------------------------------------------------------------

const orderId = z.string().regex(/^ord_\d+$/, 'expected an order id such as ord_1001');

export const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Find an order by id: status, total and the customer email',
  input: z.object({ orderId }),
  output: z.object({
    orderId: z.string(),
    status: z.enum(['processing', 'shipped', 'delivered']),
    total: z.number(),
    email: z.email(),
  }),
  effect: 'read',
  execute: (a, ctx) => helpdesk(`/orders/${a.orderId}`, { signal: ctx.signal }),
});

export const searchDocs = defineTool({
  name: 'search_docs',
  description: 'Search the help center',
  input: z.object({ query: z.string().min(2) }),
  output: z.object({ articles: z.array(z.object({ title: z.string(), body: z.string() })) }),
  effect: 'read',
  timeoutMs: 5_000,
  retry: { retries: 2, minDelayMs: 200 }, // the search service has bad minutes
  execute: (a, ctx) => helpdesk(`/search?q=${encodeURIComponent(a.query)}`, { signal: ctx.signal }),
});

export const refundOrder = defineTool({
  name: 'refund_order',
  description: 'Refund part or all of an order',
  input: z.object({ orderId, amount: z.number().positive() }),
  rules: [
    (a) => a.amount <= 500 || { path: ['amount'], message: 'refunds over $500 are handled by finance' },
  ],
  approval: (a) => (a.amount > 100 ? 'confirm' : 'none'), // a person signs off large refunds
  summarize: (a) => `Refund $${a.amount.toFixed(2)} on order ${a.orderId}`,
  execute: (a, ctx) =>
    helpdesk(`/orders/${a.orderId}/refunds`, {
      signal: ctx.signal,
      body: { amount: a.amount },
      idempotencyKey: ctx.idempotencyKey,
    }),
});

export const sendEmail = defineTool({
  name: 'send_email',
  description: 'Email the customer',
  input: z.object({ to: z.email(), subject: z.string(), body: z.string() }),
  execute: (a, ctx) =>
    helpdesk('/emails', { signal: ctx.signal, body: a, idempotencyKey: ctx.idempotencyKey }),
});

export const SUPPORT_TOOLS = [lookupOrder, searchDocs, refundOrder, sendEmail] as const;

/**
 * The tools of the public chat widget, where anyone can type anything: read-only. Pass it as
 * `warden.run({ tools: PUBLIC_CHAT_TOOLS, ... })`; signed-in customers get every tool.
 */
export const PUBLIC_CHAT_TOOLS = ['lookup_order', 'search_docs'] as const;

/** The model the agent uses, as `run.model` is given it. */
export const MODEL = { provider: 'openai', model: 'gpt-4.1' } as const;

// ---- The warden ----------------------------------------------------------------------------------

/** The support agent's warden. Tests pass a clock, an audit sink and an approval secret. */
export function createSupportWarden(options: Omit<WardenOptions, 'tools'> = {}) {
  return createWarden({
    agent: { name: 'support-bot' },
    tools: SUPPORT_TOOLS,
    budgets: { run: { steps: 8, toolCalls: 20, tokens: 100_000, costUsd: 0.25 } },
    pricing: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 } },
    approvals: { secret: process.env.WARDEN_APPROVAL_SECRET },
    ...options,
  });
}

export type SupportWarden = ReturnType<typeof createSupportWarden>;
