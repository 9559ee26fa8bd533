// agent-warden quick start: a scripted support agent, no network, no API key.
//
//   npm run demo
//
// One warden guards six short runs of the same agent. The model's turns are scripted with the
// testing kit (scriptedModel + runScriptedAgent, the reference agent loop), so every run is the
// same each time and shows one guard at work. examples/readme.ts shows the same guards around a
// hand-written OpenAI loop.
import {
  createWarden,
  defineTool,
  memoryAudit,
  type RunOptions,
  type RunResult,
  type ToolOutcome,
} from 'agent-warden';
import {
  recordSpans,
  runScriptedAgent,
  type ScriptedAgentToolCall,
  type ScriptedTurn,
  scriptedModel,
} from 'agent-warden/testing';
import { z } from 'zod';

// ---- Tools -----------------------------------------------------------------------------------

const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Find an order by id',
  input: z.object({ orderId: z.string().regex(/^ord_\d+$/, 'expected an order id such as ord_1001') }),
  effect: 'read', // no side effects
  execute: async ({ orderId }) => ({ orderId, status: 'delivered', total: 180 }),
});

const refundOrder = defineTool({
  name: 'refund_order',
  description: 'Refund part or all of an order',
  input: z.object({
    orderId: z.string().regex(/^ord_\d+$/, 'expected an order id such as ord_1001'),
    amount: z.number().positive(),
  }),
  // Semantic rules run after the schema: true passes, anything else is what the model is told.
  rules: [(a) => a.amount <= 100 || { path: ['amount'], message: 'refunds over $100 need a human' }],
  execute: async ({ orderId, amount }) => ({ refundId: 'rf_7', orderId, amount }),
});

// ---- The warden --------------------------------------------------------------------------------

const spans = recordSpans(); // in-memory spans; in production, leave `tracer` out to use your OTel SDK
const audit = memoryAudit();
const warden = createWarden({
  agent: { name: 'support-bot' },
  tools: [lookupOrder, refundOrder], // the allowlist: no other tool can ever run
  budgets: { run: { steps: 8, tokens: 50_000, costUsd: 0.05 } },
  pricing: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } },
  audit,
  telemetry: { tracer: spans.tracer },
});

// ---- The agent: the testing kit's reference loop, with a scripted model ------------------------

/**
 * Run the support agent once: each scripted turn goes through `run.model`, each tool call through
 * `run.tool`, and the outcome's `forModel()` text goes back to the model.
 */
function supportAgent(
  runOptions: RunOptions,
  script: ScriptedTurn[],
): Promise<RunResult<string | undefined>> {
  // Token usage as a real conversation would report it: the prompt grows with every turn.
  const turns = script.map((turn, i) => ({
    ...turn,
    usage: { inputTokens: 315 + 71 * i, outputTokens: turn.toolCalls ? 49 : 26 },
  }));
  return runScriptedAgent(
    warden,
    scriptedModel(turns, { provider: 'openai', model: 'gpt-4.1' }),
    runOptions,
    {
      input: 'Where is my order ord_1001? It arrived broken.',
      onToolOutcome: showToolCall,
    },
  );
}

// ---- Six runs, one guard each -----------------------------------------------------------------

const lookup = (orderId: string): ScriptedTurn => ({
  toolCalls: [{ name: 'lookup_order', args: { orderId } }],
});
const refund = (orderId: string, amount: number): ScriptedTurn => ({
  toolCalls: [{ name: 'refund_order', args: { orderId, amount } }],
});
const say = (text: string): ScriptedTurn => ({ text });

console.log('agent-warden demo: a scripted support agent (no network, no API key)\n');

heading(1, 'An allowed read tool runs');
show(
  await supportAgent({ userId: 'u_42' }, [lookup('ord_1001'), say('Order ord_1001 was delivered on 2 May.')]),
);

heading(2, 'A tool that is not on the allowlist is refused; the model routes around it');
show(
  await supportAgent({ userId: 'u_42' }, [
    { toolCalls: [{ name: 'delete_account', args: { userId: 'u_42' } }] },
    say('I cannot close accounts; a colleague will contact you.'),
  ]),
);

heading(3, 'Invalid arguments are explained to the model, which fixes them on the next turn');
show(
  await supportAgent({ userId: 'u_42' }, [
    refund('1001', -20),
    refund('ord_1001', 20),
    say('I refunded $20.'),
  ]),
);

heading(4, 'A business rule: refunds over $100 need a human');
show(
  await supportAgent({ userId: 'u_42' }, [
    refund('ord_1001', 180),
    say('A colleague will approve your $180 refund.'),
  ]),
);

heading(5, 'A run budget (tightened to 3 model calls for this run) stops a model that keeps calling tools');
show(
  await supportAgent(
    { userId: 'u_42', budgets: { steps: 3 } },
    Array.from({ length: 10 }, (_, i) => lookup(`ord_100${i}`)),
  ),
);

heading(6, 'The kill switch: runs of a killed user stop, new ones are refused until revived');
await warden.kill({ userId: 'u_13' }, { reason: 'fraud review' });
show(await supportAgent({ userId: 'u_13' }, [say('unreachable')]));
await warden.revive({ userId: 'u_13' });

const counts = new Map<string, number>();
for (const e of audit.events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
console.log(
  `\nAudit trail: ${audit.events.length} events (${[...counts].map(([t, n]) => `${n} ${t}`).join(', ')})`,
);
console.log('\nSpans, from recordSpans().tree():\n');
console.log(spans.tree());

await warden.close();
await spans.shutdown();

// ---- Printing -----------------------------------------------------------------------------------

function heading(n: number, title: string): void {
  console.log(`${n === 1 ? '' : '\n'}${n}. ${title}`);
}

function showToolCall(call: ScriptedAgentToolCall, outcome: ToolOutcome): void {
  const request = `${call.name} ${JSON.stringify(call.args)}`;
  if (outcome.ok) {
    console.log(`   ✓ ${request}`);
  } else {
    console.log(`   ✗ ${request}  → ${outcome.error.code}`);
    console.log(`     the model reads: ${outcome.forModel()}`);
  }
}

function show(result: RunResult<string | undefined>): void {
  const u = result.usage;
  const usage =
    `${u.steps} model call${u.steps === 1 ? '' : 's'}, ${u.toolCalls} tool call${u.toolCalls === 1 ? '' : 's'}, ` +
    `${u.inputTokens} in + ${u.outputTokens} out tokens, $${u.costUsd.toFixed(u.costUsd ? 4 : 0)}`;
  if (result.status === 'completed') console.log(`   → completed: ${JSON.stringify(result.output)}`);
  else console.log(`   → stopped: ${result.stop.code} — ${result.stop.message}`);
  console.log(`     ${usage}`);
}
