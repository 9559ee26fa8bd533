// agent-warden with the OpenAI Agents SDK (@openai/agents).
//
//   npx tsx examples/openai-agents.ts                  scripted model: no network, no API key
//   OPENAI_API_KEY=sk-... npx tsx examples/openai-agents.ts   one run against the SDK's default OpenAI model
//
// The team already has Agents SDK tools. fromAgentsTools() turns them into guarded warden tools,
// toAgentsTools() hands them back to the agent, and wardenModel() counts every model turn against
// the run's budgets. The SDK runs inside warden.run() and gets run.signal, so a stop ends its loop.
import {
  Agent,
  type Model,
  OpenAIProvider,
  Runner,
  run as runAgent,
  setTracingDisabled,
  tool,
  Usage,
} from '@openai/agents';
import {
  assistantMessage,
  functionCall,
  ScriptedModel,
  type ScriptedModelInput,
} from '@openai/agents/testing';
import { createWarden, type RunResult } from 'agent-warden';
import { fromAgentsTools, toAgentsTools, wardenModel, wardenModelProvider } from 'agent-warden/openai-agents';
import { z } from 'zod';

// The SDK's own tracing exports to OpenAI; the warden's spans go to OpenTelemetry instead.
setTracingDisabled(true);

// ---- The tools the team already has ---------------------------------------------------------------

const lookupOrder = tool({
  name: 'lookup_order',
  description: 'Find an order by id',
  parameters: z.object({ orderId: z.string() }),
  errorFunction: null, // let failures reach the warden (retries, breaker, tool_error)
  execute: async ({ orderId }) => ({ orderId, status: 'delivered', total: 180 }),
});

let refunds = 0;
const refundOrder = tool({
  name: 'refund_order',
  description: 'Refund part or all of an order',
  parameters: z.object({ orderId: z.string(), amount: z.number() }),
  errorFunction: null,
  needsApproval: async (_ctx, { amount }) => amount > 100, // becomes the warden's signed approval
  execute: async ({ orderId, amount }) => {
    refunds++;
    return { refundId: `rf_${refunds}`, orderId, amount };
  },
});

// ---- The warden ------------------------------------------------------------------------------------

const warden = createWarden({
  agent: { name: 'support-agent' },
  tools: await fromAgentsTools([lookupOrder, refundOrder], {
    lookup_order: { effect: 'read' },
    refund_order: { rules: [(a) => a.amount > 0 || { path: ['amount'], message: 'must be > 0' }] },
  }),
  budgets: { run: { steps: 6, toolCalls: 10, tokens: 60_000 } },
  pricing: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } },
  approvals: { secret: process.env.WARDEN_SECRET ?? 'example-secret-of-at-least-32-bytes!' },
});

const tools = toAgentsTools(warden);
let callIds = 0; // ids of the scripted tool calls

/** One SDK run inside one warden run. */
function ask(agent: Agent, question: string, runner?: Runner): Promise<RunResult<unknown>> {
  return warden.run({ userId: 'u_42' }, async (run) => {
    const options = { maxTurns: 20, signal: run.signal };
    const result = runner
      ? await runner.run(agent, question, options)
      : await runAgent(agent, question, options);
    return result.finalOutput;
  });
}

if (process.env.OPENAI_API_KEY) {
  // ---- Live: the SDK's default OpenAI model, every call counted ----------------------------------
  const runner = new Runner({ modelProvider: wardenModelProvider(new OpenAIProvider()) });
  const agent = new Agent({ name: 'support', instructions: 'Help with orders.', tools });
  console.log('Live run against the default OpenAI model:');
  show(await ask(agent, 'What is the status of order ord_1001?', runner));
} else {
  // ---- Scripted: the SDK's own ScriptedModel, the same fake the tests use ------------------------
  console.log('agent-warden + OpenAI Agents SDK, scripted (set OPENAI_API_KEY for a live run)\n');

  console.log('1. A guarded tool call, then the answer');
  show(
    await ask(
      scripted([call('lookup_order', { orderId: 'ord_1001' }), say('Order ord_1001 was delivered.')]),
      'Where is ord_1001?',
    ),
  );

  console.log('\n2. A refund over $100 needs a signed human approval: the tool does not run');
  const gated = await ask(
    scripted([
      call('refund_order', { orderId: 'ord_1001', amount: 180 }),
      say('A colleague has to approve the $180 refund.'),
    ]),
    'Refund ord_1001 in full',
  );
  show(gated);
  const pending = gated.pending[0];
  if (pending) {
    console.log(`   pending approval: ${pending.summary} (refunds so far: ${refunds})`);
    const approval = await warden.approve(pending.id, { approver: 'team-lead' });
    if (approval.status === 'approved') {
      const outcome = await warden.executeApproved(approval.token, { userId: 'u_42' });
      console.log(`   approved and executed: ${outcome.forModel()} (refunds so far: ${refunds})`);
    }
  }

  console.log('\n3. A model that keeps calling tools is stopped by the step budget (6 model calls)');
  const runaway = Array.from({ length: 20 }, (_, i) => call('lookup_order', { orderId: `ord_${2000 + i}` }));
  const model = new ScriptedModel(runaway);
  show(
    await ask(new Agent({ name: 'runaway', model: wardenModel(model, { model: 'gpt-4.1' }), tools }), 'Loop'),
  );
  console.log(
    `   the SDK called the model ${model.calls.length} times; ${model.remainingSteps} scripted turns unused`,
  );
}

await warden.close();

// ---- Helpers ---------------------------------------------------------------------------------------

function scripted(turns: ScriptedModelInput[]): Agent {
  const model: Model = wardenModel(new ScriptedModel(turns), { model: 'gpt-4.1' });
  return new Agent({ name: 'support', instructions: 'Help with orders.', model, tools });
}

function call(name: string, args: Record<string, unknown>): ScriptedModelInput {
  return { output: [functionCall(name, args, { callId: `call_${++callIds}` })], usage: usage(900, 40) };
}

function say(text: string): ScriptedModelInput {
  return { output: [assistantMessage(text)], usage: usage(1_100, 30) };
}

function usage(inputTokens: number, outputTokens: number): Usage {
  return new Usage({ requests: 1, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens });
}

function show(result: RunResult<unknown>): void {
  const u = result.usage;
  const counts = `${u.steps} model calls, ${u.toolCalls} tool calls, ${u.inputTokens + u.outputTokens} tokens, $${u.costUsd.toFixed(4)}`;
  if (result.status === 'completed') console.log(`   → completed: ${JSON.stringify(result.output)}`);
  else console.log(`   → stopped: ${result.stop.code} — ${result.stop.message}`);
  console.log(`     ${counts}`);
}
