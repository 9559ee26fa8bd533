// agent-warden with the official `openai` client and the Chat Completions API: a hand-written tool
// loop whose model calls and tool calls all go through the guards.
//
//   npx tsx examples/openai-chat.ts
//
// Without OPENAI_API_KEY it talks to a local fake of the OpenAI API (_fake-openai-server.ts) that
// replies with scripted turns — no network, same output every time. With OPENAI_API_KEY set, the
// same code talks to the real API (a few cents' worth of gpt-4.1-mini at most: the cost budget holds).
// See docs/adapters/openai.md.
import { randomBytes } from 'node:crypto';
import { createWarden, defineTool, type Run, type RunResult } from 'agent-warden';
import { chatCompletion, runToolCalls, toChatCompletionsTools } from 'agent-warden/openai';
import OpenAI from 'openai';
import { z } from 'zod';
import { startFakeOpenAI } from './_fake-openai-server.js';

const MODEL = 'gpt-4.1-mini';

// ---- Tools: plain warden tools; the adapter turns them into OpenAI function tools -------------------

const getWeather = defineTool({
  name: 'get_weather',
  description: 'Current weather in a city',
  input: z.object({ city: z.string().min(1) }),
  effect: 'read',
  execute: async ({ city }) => ({ city, tempC: city === 'Oslo' ? 4 : 18, sky: 'clear' }),
});

const sendEmail = defineTool({
  name: 'send_email',
  description: 'Send an email on behalf of the user',
  input: z.object({ to: z.email(), subject: z.string(), body: z.string() }),
  approval: 'confirm', // never sent without a person's signed approval
  summarize: (a) => `Email ${a.to}: "${a.subject}"`,
  execute: async () => ({ sent: true }),
});

const warden = createWarden({
  agent: { name: 'weather-bot' },
  tools: [getWeather, sendEmail],
  budgets: { run: { steps: 6, tokens: 20_000, costUsd: 0.02 } },
  pricing: { [MODEL]: { inputPerMTok: 0.4, outputPerMTok: 1.6, cachedInputPerMTok: 0.1 } },
  approvals: { secret: randomBytes(32).toString('hex') },
});

// ---- The OpenAI client: the real API with a key, else the local fake --------------------------------

const fake = process.env.OPENAI_API_KEY ? undefined : await startFakeOpenAI();
const client = fake ? new OpenAI({ apiKey: 'fake', baseURL: fake.baseURL, maxRetries: 0 }) : new OpenAI();

// ---- The agent loop ------------------------------------------------------------------------------

async function agent(run: Run, question: string): Promise<string | null> {
  const tools = toChatCompletionsTools(warden);
  const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are a weather assistant. Use the tools.' },
    { role: 'user', content: question },
  ];
  for (;;) {
    // Budgets are checked before the request; usage and cost are counted after it.
    const completion = await chatCompletion(run, client, { model: MODEL, messages, tools });
    const message = completion.choices[0]!.message;
    messages.push(message);
    if (!message.tool_calls?.length) return message.content;
    // Every call goes through the guards; refusals come back as tool messages the model can act on.
    const results = await runToolCalls(run, message.tool_calls);
    for (const [i, call] of message.tool_calls.entries()) showCall(call, results[i]!.content);
    messages.push(...results);
  }
}

// ---- Two runs ------------------------------------------------------------------------------------

console.log(
  `agent-warden + openai (Chat Completions) against ${fake ? `a local fake API (${fake.baseURL})` : 'the OpenAI API'}\n`,
);

console.log('1. A guarded tool loop');
fake?.use({
  chat: [
    {
      toolCalls: [
        { name: 'get_weather', args: { city: 'Paris' } },
        { name: 'get_weather', args: { city: 'Oslo' } },
      ],
    },
    {
      toolCalls: [
        {
          name: 'send_email',
          args: { to: 'me@example.com', subject: 'Forecast', body: 'Paris 18°C, Oslo 4°C' },
        },
        { name: 'delete_files', args: { path: '/' } },
      ],
    },
    { text: 'Paris is 18°C and Oslo 4°C. The email needs your approval before I can send it.' },
  ],
});
show(
  await warden.run({ userId: 'u_42' }, (run) =>
    agent(run, 'Weather in Paris and Oslo? Email the forecast to me@example.com.'),
  ),
);

console.log('\n2. The same agent on a one-model-call budget');
fake?.use({ chat: [{ toolCalls: [{ name: 'get_weather', args: { city: 'Rome' } }] }] });
show(await warden.run({ userId: 'u_42', budgets: { steps: 1 } }, (run) => agent(run, 'Weather in Rome?')));

await fake?.close();
await warden.close();

// ---- Printing ------------------------------------------------------------------------------------

function showCall(call: OpenAI.Chat.Completions.ChatCompletionMessageToolCall, content: string): void {
  const request =
    call.type === 'function' ? `${call.function.name} ${call.function.arguments}` : call.custom.name;
  const code = errorCode(content);
  console.log(code ? `   ✗ ${request} → ${code}` : `   ✓ ${request} → ${content}`);
}

function errorCode(content: string): string | undefined {
  try {
    return (JSON.parse(content) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

function show(result: RunResult<string | null>): void {
  const u = result.usage;
  if (result.status === 'completed') console.log(`   → completed: ${JSON.stringify(result.output)}`);
  else console.log(`   → stopped: ${result.stop.code} — ${result.stop.message}`);
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  console.log(
    `     ${n(u.steps, 'model call')}, ${n(u.toolCalls, 'tool call')}, ${n(u.inputTokens + u.outputTokens, 'token')}, ` +
      `$${u.costUsd.toFixed(5)}`,
  );
  for (const p of result.pending) console.log(`     awaiting approval: ${p.summary}`);
}
