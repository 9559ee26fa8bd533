// agent-warden human approval: a scripted agent asks for two transfers. The small one runs; the large
// one waits for a person, runs once on their approval, and its token cannot be used again.
//
//   npx tsx examples/approval-flow.ts
//
// No network, no API key: the model's turns are scripted (see _scripted-openai.ts). See docs/approvals.md.
import { randomBytes } from 'node:crypto';
import {
  createWarden,
  defineTool,
  type PendingApproval,
  type Run,
  type ToolOutcome,
  WardenError,
} from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { z } from 'zod';
import { type Message, scriptedOpenAI, type Turn } from './_scripted-openai.js';

// ---- Tools ---------------------------------------------------------------------------------------

const ledger: Array<{ from: string; to: string; amount: number; idempotencyKey: string | undefined }> = [];

const transferFunds = defineTool({
  name: 'transfer_funds',
  description: "Move money between two of the user's accounts",
  input: z.object({ from: z.string(), to: z.string(), amount: z.number().positive() }),
  rules: [(a) => a.from !== a.to || 'from and to must differ'],
  // Small transfers run; large ones need one person's approval. Decided from the validated arguments.
  approval: (a) => (a.amount > 1000 ? 'confirm' : 'none'),
  // What the approver is shown, next to the full arguments.
  summarize: (a) => `Transfer $${a.amount.toFixed(2)} from ${a.from} to ${a.to}`,
  execute: async (a, ctx) => {
    // A real tool passes ctx.idempotencyKey to the payments API so it dedupes too.
    ledger.push({ ...a, idempotencyKey: ctx.idempotencyKey });
    return { transferId: `tr_${ledger.length}` };
  },
});

const closed: string[] = [];
const closeAccount = defineTool({
  name: 'close_account',
  description: 'Close one of the customer accounts',
  input: z.object({ accountId: z.string() }),
  approval: 'dual', // two different people must approve
  summarize: (a) => `Close account ${a.accountId} permanently`,
  execute: async (a) => {
    closed.push(a.accountId);
    return { closed: a.accountId };
  },
});

// ---- The warden ----------------------------------------------------------------------------------

// A fixed clock keeps the printed times the same on every run.
const clock = createManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
const warden = createWarden({
  agent: { name: 'bank-assistant' },
  tools: [transferFunds, closeAccount],
  // >= 32 bytes. In production, load it from your secret manager (the same value in every process).
  approvals: { secret: randomBytes(32).toString('hex'), ttlMs: 300_000, mode: 'return' },
  clock,
});

// ---- The agent loop: a hand-written OpenAI Chat Completions loop ------------------------------------

async function agent(run: Run, script: Turn[]): Promise<string> {
  const client = scriptedOpenAI(script);
  const messages: Message[] = [
    { role: 'user', content: 'Move $50 and then $5000 from checking to savings.' },
  ];
  for (;;) {
    const response = await run.model({ provider: 'openai', model: 'gpt-4.1' }, (signal) =>
      client.chat.completions.create({ model: 'gpt-4.1', messages }, { signal }),
    );
    const message = response.choices[0]!.message;
    messages.push(message);
    if (!message.tool_calls) return message.content ?? '';
    for (const call of message.tool_calls) {
      const outcome = await run.tool(call.function.name, call.function.arguments, { callId: call.id });
      console.log(`   ${call.function.name} ${call.function.arguments}  → ${describe(outcome)}`);
      if (!outcome.ok) console.log(`     the model reads: ${outcome.forModel()}`);
      // The model gets outcome.forModel(): the code and what to do next, never a token or a pending id.
      messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.forModel() });
    }
  }
}

const transfer = (amount: number) => ({
  name: 'transfer_funds',
  args: { from: 'checking', to: 'savings', amount },
});

// ---- 1. The model proposes two transfers ----------------------------------------------------------

console.log('1. The model proposes two transfers; $50 runs, $5000 waits for a person');
const result = await warden.run({ userId: 'alice', tenantId: 'acme' }, (run) =>
  agent(run, [
    { call: [transfer(50), transfer(5000)] },
    { say: 'I moved $50. The $5,000 transfer is waiting for your approval.' },
  ]),
);
console.log(`   → ${result.status}: ${JSON.stringify(result.status === 'completed' ? result.output : '')}`);
expect(result.pending.length === 1 && ledger.length === 1, 'one transfer ran, one is pending');

// ---- 2. The app shows the request to the logged-in human ------------------------------------------

const pending = result.pending[0]!;
console.log('\n2. What the approval screen shows (from result.pending, or warden.pending({ userId }))');
showCard(pending);
const open = await warden.pending({ userId: 'alice', tenantId: 'acme' });
expect(open.length === 1 && open[0]!.id === pending.id, 'warden.pending() lists it');

// ---- 3. Alice approves; the approved call runs exactly once ------------------------------------------

console.log('\n3. Alice approves; the app runs the approved call');
// The approver is the authenticated user of your app's session, never a value from the model or a form field.
const decision = await warden.approve(pending.id, { approver: 'alice' });
if (decision.status !== 'approved') throw new Error('expected a token');
const { token } = decision;
console.log(`   approve → ${decision.status} (token ${token.length} characters, kept server-side)`);

const first = await warden.executeApproved(token, { userId: 'alice', tenantId: 'acme' });
console.log(`   executeApproved → ${describe(first)}`);
const key = ledger.at(-1)?.idempotencyKey;
console.log(`   ctx.idempotencyKey = ${key === `approval:${pending.id}` ? 'approval:<pending id>' : key}`);
expect(first.ok && ledger.length === 2 && key === `approval:${pending.id}`, 'the approved transfer ran');

// ---- 4. The token is single-use and bound to its user ------------------------------------------------

console.log('\n4. Replays are refused');
const again = await warden.executeApproved(token, { userId: 'alice', tenantId: 'acme' });
console.log(`   same token again        → ${describe(again)}`);
const stolen = await warden.executeApproved(token, { userId: 'mallory', tenantId: 'acme' });
console.log(`   same token, other user  → ${describe(stolen)}`);
expect(reason(again) === 'used' && reason(stolen) === 'wrong_user', 'replays are refused');
console.log(`   ledger: ${ledger.map((t) => `$${t.amount}`).join(', ')} — the $5000 transfer ran once`);
expect(ledger.length === 2, 'no transfer ran twice');

// ---- 5. Dual approval: two different people ----------------------------------------------------------

console.log('\n5. Dual approval: closing an account needs two different approvers');
const closing = await warden.run({ userId: 'alice', tenantId: 'acme' }, (run) =>
  agent(run, [
    { call: [{ name: 'close_account', args: { accountId: 'acc_savings_2' } }] },
    { say: 'Closing the account needs approval from two bank staff.' },
  ]),
);
const dual = closing.pending[0]!;
showCard(dual);
const bob = await warden.approve(dual.id, { approver: 'bob' });
console.log(`   bob approves        → ${JSON.stringify(bob)}`);
try {
  await warden.approve(dual.id, { approver: 'bob' });
} catch (error) {
  if (!WardenError.isInstance(error)) throw error;
  console.log(`   bob approves again  → throws ${error.code}`);
}
const carol = await warden.approve(dual.id, { approver: 'carol' });
console.log(`   carol approves      → ${carol.status}`);
if (carol.status !== 'approved') throw new Error('expected a token');
const closedOutcome = await warden.executeApproved(carol.token, { userId: 'alice', tenantId: 'acme' });
console.log(`   executeApproved     → ${describe(closedOutcome)}`);
expect(bob.status === 'awaiting' && closedOutcome.ok && closed.length === 1, 'dual approval ran once');

await warden.close();

// ---- Printing ------------------------------------------------------------------------------------

function describe(outcome: ToolOutcome): string {
  if (outcome.ok) return `ok ${JSON.stringify(outcome.value)}`;
  const { code, details } = outcome.error;
  return details?.reason ? `${code} (${String(details.reason)})` : code;
}

function reason(outcome: ToolOutcome): unknown {
  return outcome.ok ? undefined : outcome.error.details?.reason;
}

function showCard(p: PendingApproval): void {
  const expires = new Date(p.expiresAt).toISOString().slice(11, 19);
  console.log(`   ┌ ${p.summary}`);
  console.log(`   │ tool ${p.tool}, arguments ${JSON.stringify(p.args)}`);
  console.log(`   └ requested by ${p.userId} (${p.tenantId}), ${p.level}, expires ${expires} UTC`);
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`approval-flow example: expected ${what}`);
}
