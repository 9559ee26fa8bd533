// agent-warden with the official `openai` client and the Responses API, starting from OpenAI tools a
// team already has: the JSON Schema definitions it sends and the functions that serve them.
//
//   npx tsx examples/openai-responses.ts
//
// Without OPENAI_API_KEY it talks to a local fake of the OpenAI API (_fake-openai-server.ts) that
// replies with scripted turns — no network, same output every time. With OPENAI_API_KEY set, the
// same code talks to the real API. See docs/adapters/openai.md.
import { createWarden, type Run, type RunResult } from 'agent-warden';
import { createResponse, fromOpenAITools, runFunctionCalls, toResponsesTools } from 'agent-warden/openai';
import OpenAI from 'openai';
import { startFakeOpenAI } from './_fake-openai-server.js';

const MODEL = 'gpt-4.1-mini';

// ---- The tools the team already had: OpenAI definitions + handlers -----------------------------------

const definitions: OpenAI.Responses.FunctionTool[] = [
  {
    type: 'function',
    name: 'lookup_order',
    description: 'Find an order by id',
    parameters: {
      type: 'object',
      properties: { orderId: { type: 'string', pattern: '^ord_\\d+$' } },
      required: ['orderId'],
      additionalProperties: false,
    },
    strict: true,
  },
  {
    type: 'function',
    name: 'refund_order',
    description: 'Refund part or all of an order',
    parameters: {
      type: 'object',
      properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
      required: ['orderId', 'amount'],
      additionalProperties: false,
    },
    strict: true,
  },
];

const handlers = {
  lookup_order: async (a: Record<string, unknown>) => ({
    orderId: a.orderId,
    status: 'delivered',
    total: 180,
  }),
  refund_order: async (a: Record<string, unknown>) => ({
    refundId: 'rf_7',
    orderId: a.orderId,
    amount: a.amount,
  }),
};

// The same tools, now guarded: the JSON Schema validates every call; overrides add what it cannot say.
const warden = createWarden({
  agent: { name: 'support-bot' },
  tools: fromOpenAITools(definitions, handlers, {
    lookup_order: { effect: 'read' },
    refund_order: {
      rules: [(a) => a.amount <= 100 || { path: ['amount'], message: 'refunds over $100 need a human' }],
    },
  }),
  budgets: { run: { steps: 4, tokens: 20_000, costUsd: 0.02 } },
  pricing: { [MODEL]: { inputPerMTok: 0.4, outputPerMTok: 1.6, cachedInputPerMTok: 0.1 } },
});

// ---- The OpenAI client: the real API with a key, else the local fake --------------------------------

const fake = process.env.OPENAI_API_KEY ? undefined : await startFakeOpenAI();
const client = fake ? new OpenAI({ apiKey: 'fake', baseURL: fake.baseURL, maxRetries: 0 }) : new OpenAI();

// ---- The agent loop ------------------------------------------------------------------------------

async function agent(run: Run, question: string): Promise<string> {
  const tools = toResponsesTools(warden); // the original definitions, strict flags kept
  const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: question }];
  for (;;) {
    const response = await createResponse(run, client, {
      model: MODEL,
      instructions: 'You are a support agent. Use the tools; refunds over $100 need a human.',
      input,
      tools,
    });
    const outputs = await runFunctionCalls(run, response.output);
    if (outputs.length === 0) return response.output_text;
    for (const item of response.output) {
      if (item.type === 'function_call')
        showCall(item, outputs.find((o) => o.call_id === item.call_id)!.output);
    }
    // The model's calls go back with their outputs (or use previous_response_id and send only the outputs).
    input.push(...(response.output as OpenAI.Responses.ResponseInputItem[]), ...outputs);
  }
}

// ---- Two runs ------------------------------------------------------------------------------------

console.log(`agent-warden + openai (Responses) against ${fake ? 'a local fake API' : 'the OpenAI API'}\n`);

console.log('1. Existing OpenAI tools, guarded: a rule refuses, the model re-plans');
fake?.use({
  responses: [
    { toolCalls: [{ name: 'lookup_order', args: { orderId: 'ord_1001' } }] },
    { toolCalls: [{ name: 'refund_order', args: { orderId: 'ord_1001', amount: 180 } }] },
    { toolCalls: [{ name: 'refund_order', args: { orderId: 'ord_1001', amount: 100 } }] },
    { text: 'I refunded $100 now; a colleague will review the remaining $80.' },
  ],
});
show(
  await warden.run({ userId: 'u_42' }, (run) => agent(run, 'Order ord_1001 arrived broken. Refund it all.')),
);

console.log('\n2. A model that keeps calling tools ends at the step budget');
fake?.use({
  responses: (request) => ({
    toolCalls: [{ name: 'lookup_order', args: { orderId: `ord_${1000 + request.index}` } }],
  }),
});
const looping = await warden.run({ userId: 'u_42' }, (run) =>
  agent(run, 'Check every order I ever made, one by one.'),
);
show(looping);
if (fake)
  console.log(
    `     the API received ${fake.requests.length} requests for ${looping.usage.steps} model calls`,
  );

await fake?.close();
await warden.close();

// ---- Printing ------------------------------------------------------------------------------------

function showCall(call: OpenAI.Responses.ResponseFunctionToolCall, output: string): void {
  let code: string | undefined;
  try {
    code = (JSON.parse(output) as { error?: { code?: string } }).error?.code;
  } catch {}
  const request = `${call.name} ${call.arguments}`;
  console.log(code ? `   ✗ ${request} → ${code}` : `   ✓ ${request} → ${output}`);
}

function show(result: RunResult<string>): void {
  const u = result.usage;
  if (result.status === 'completed') console.log(`   → completed: ${JSON.stringify(result.output)}`);
  else console.log(`   → stopped: ${result.stop.code} — ${result.stop.message}`);
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  console.log(
    `     ${n(u.steps, 'model call')}, ${n(u.toolCalls, 'tool call')}, ${n(u.inputTokens + u.outputTokens, 'token')}, ` +
      `$${u.costUsd.toFixed(5)}`,
  );
}
