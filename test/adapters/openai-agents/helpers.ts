import { Agent, run as runAgent, setTracingDisabled, Usage } from '@openai/agents';
import {
  assistantMessage,
  functionCall,
  ScriptedModel,
  type ScriptedModelInput,
} from '@openai/agents/testing';
import { createWarden, defineTool, memoryAudit, type Run, type WardenOptions } from 'agent-warden';
import { toAgentsTools, wardenModel } from 'agent-warden/openai-agents';
import { vi } from 'vitest';
import { z } from 'zod';
import { inMemoryTracing } from '../../support/otel.js';

// The SDK's own tracing exports to OpenAI; the tests never send anything anywhere.
setTracingDisabled(true);

export const MODEL = 'gpt-4.1';
export const PRICING = { [MODEL]: { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 } };

/** SDK usage of one model response, as the SDK's OpenAI models report it. */
export function usage(inputTokens: number, outputTokens: number, cachedTokens = 0): Usage {
  return new Usage({
    requests: 1,
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    inputTokensDetails: [{ cached_tokens: cachedTokens }],
    outputTokensDetails: [{ reasoning_tokens: 0 }],
  });
}

/** A scripted model turn that calls tools: `[name, args, callId]` each. */
export function callTurn(
  calls: Array<[name: string, args: string | Record<string, unknown>, callId: string]>,
  u: Usage = usage(100, 10),
): ScriptedModelInput {
  return { output: calls.map(([name, args, callId]) => functionCall(name, args, { callId })), usage: u };
}

/** A scripted model turn that answers with text. */
export function textTurn(text: string, u: Usage = usage(120, 20)): ScriptedModelInput {
  return { output: [assistantMessage(text)], usage: u };
}

/** Three tools with spied `execute`s: a read tool, an approval-gated write tool, a plain write tool. */
export function tools() {
  const search = vi.fn(async (a: { query: string; limit?: number | undefined }) => ({
    hits: [`${a.query} #1`],
    limit: a.limit ?? 3,
  }));
  const email = vi.fn(async () => ({ sent: true }));
  const refund = vi.fn(async (a: { orderId: string; amount: number }) => ({ refundId: `rf_${a.orderId}` }));
  const searchDocs = defineTool({
    name: 'search_docs',
    description: 'Search the help center',
    input: z.object({
      query: z.string().min(2, 'at least 2 characters'),
      limit: z.number().int().optional(),
    }),
    effect: 'read',
    execute: search,
  });
  const sendEmail = defineTool({
    name: 'send_email',
    description: 'Send an email',
    input: z.object({ to: z.string(), body: z.string() }),
    approval: 'confirm',
    execute: email,
  });
  const refundOrder = defineTool({
    name: 'refund_order',
    description: 'Refund an order',
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    rules: [(a) => a.amount <= 100 || { path: ['amount'], message: 'refunds over $100 need a human' }],
    execute: refund,
  });
  return { list: [searchDocs, sendEmail, refundOrder] as const, execute: { search, email, refund } };
}

/** A warden with the three tools, a real OTel SDK tracer and an in-memory audit. */
export function setup(options: Omit<WardenOptions, 'tools' | 'telemetry' | 'audit'> = {}) {
  const t = tools();
  const tracing = inMemoryTracing();
  const audit = memoryAudit();
  const warden = createWarden({
    agent: { name: 'agents-test' },
    tools: t.list,
    pricing: PRICING,
    approvals: { secret: 'x'.repeat(32) },
    audit,
    telemetry: { tracer: tracing.tracer },
    ...options,
  });
  return { warden, tracing, audit, execute: t.execute };
}

/** An agent on a scripted model (wrapped by `wardenModel`) with the warden's tools. */
export function scriptedAgent(
  warden: Parameters<typeof toAgentsTools>[0],
  turns: ScriptedModelInput[],
  options: { tools?: Agent['tools'] } = {},
) {
  const model = new ScriptedModel(turns);
  const agent = new Agent({
    name: 'support',
    instructions: 'Help the user.',
    model: wardenModel(model, { model: MODEL }),
    tools: options.tools ?? toAgentsTools(warden),
  });
  return { model, agent };
}

/** Run the agent inside the run, the way the docs show it: the run's signal goes to the SDK. */
export async function runInside(run: Run, agent: Agent, input = 'Hello', maxTurns = 10) {
  const result = await runAgent(agent, input, { maxTurns, signal: run.signal });
  return result.finalOutput;
}

/** The `function_call_result` texts the model was sent in its last request, by call id. */
export function toolResultsSeen(model: ScriptedModel): Record<string, string> {
  const input = model.lastCall?.request.input;
  const out: Record<string, string> = {};
  if (!Array.isArray(input)) return out;
  for (const item of input as Array<Record<string, any>>) {
    if (item.type !== 'function_call_result') continue;
    const output = item.output;
    out[item.callId] = typeof output === 'string' ? output : String(output?.text ?? JSON.stringify(output));
  }
  return out;
}
