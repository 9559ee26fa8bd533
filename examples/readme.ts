import { createWarden, defineTool, memoryAudit, type Run } from 'agent-warden';
import { recordSpans } from 'agent-warden/testing';
import { z } from 'zod';
// A scripted stand-in for `new OpenAI()` so this runs offline; the loop below is the same with the real client.
import { type Message, scriptedOpenAI } from './_scripted-openai.js';

// Tools: a zod schema for the arguments, rules for what a schema cannot say, and an effect.
const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Find an order by id',
  input: z.object({ orderId: z.string() }),
  effect: 'read', // tools are 'write' (never auto-retried) unless marked 'read'
  execute: async ({ orderId }) => ({ orderId, status: 'delivered', total: 180 }),
});
const refundOrder = defineTool({
  name: 'refund_order',
  description: 'Refund part or all of an order',
  input: z.object({ orderId: z.string(), amount: z.number().positive() }),
  rules: [(a) => a.amount <= 100 || { path: ['amount'], message: 'refunds over $100 need a human' }],
  execute: async ({ orderId, amount }) => ({ refundId: 'rf_7', orderId, amount }),
});

const audit = memoryAudit(); // or jsonlAudit('audit.jsonl'): a hash-chained file
const spans = recordSpans(); // in production, leave `telemetry` out: spans go to your OpenTelemetry SDK
const warden = createWarden({
  agent: { name: 'support-bot' },
  tools: [lookupOrder, refundOrder], // the allowlist: no other tool can run
  budgets: {
    run: { steps: 10, costUsd: 0.25 }, // per run (tokens and time have finite defaults too)
    user: { costUsd: 5, window: 'day' }, // shared by every run of a user, per UTC day
  },
  pricing: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } },
  audit,
  telemetry: { tracer: spans.tracer },
});

const client = scriptedOpenAI([
  { call: [{ name: 'refund_order', args: { orderId: 'ord_1001', amount: 180 } }] }, // breaks the rule
  { call: [{ name: 'refund_order', args: { orderId: 'ord_1001', amount: 100 } }] },
  { say: 'I refunded $100; a colleague will review the remaining $80.' },
]);
const tools = [lookupOrder, refundOrder].map((t) => ({
  type: 'function' as const,
  function: { name: t.name, description: t.description, parameters: z.toJSONSchema(t.input) },
}));

// Your agent loop: every model call and tool call goes through `run`.
async function agent(run: Run) {
  const messages: Message[] = [{ role: 'user', content: 'Order ord_1001 arrived broken. Refund it.' }];
  for (;;) {
    const response = await run.model({ provider: 'openai', model: 'gpt-4.1' }, (signal) =>
      client.chat.completions.create({ model: 'gpt-4.1', messages, tools }, { signal }),
    );
    const message = response.choices[0]!.message;
    messages.push(message);
    if (!message.tool_calls) return message.content;
    for (const call of message.tool_calls) {
      const outcome = await run.tool(call.function.name, call.function.arguments, { callId: call.id });
      messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.forModel() });
    }
  }
}

const result = await warden.run({ userId: 'u_42' }, agent);
if (result.status === 'completed')
  console.log(result.output); // 'I refunded $100; a colleague will review ...'
else console.log(`stopped: ${result.stop.code}: ${result.stop.message}`); // a budget, the kill switch, ...
console.log(result.usage); // { steps: 3, toolCalls: 2, inputTokens: 1196, outputTokens: 135, costUsd: 0.0035, ... }

// The kill switch: in-flight runs in scope stop at their next check, new ones are refused.
await warden.kill({ userId: 'u_42' }, { reason: 'fraud review' });
const refused = await warden.run({ userId: 'u_42' }, agent);
console.log(refused.status === 'stopped' && refused.stop.code); // 'killed'

console.log(audit.ofType('tool_call').map((e) => e.outcome)); // the audit trail: [ 'rule_violation', 'ok' ]
console.log(spans.tree()); // one span per run, model call and tool call
await warden.close();
