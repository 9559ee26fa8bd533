// agent-warden with the Vercel AI SDK: existing AI SDK tools, guarded; generateText and streamText
// loops whose every model call and tool call goes through the warden.
//
//   npx tsx examples/ai-sdk.ts
//
// No network, no API key: the model is the AI SDK's own MockLanguageModelV4 playing a script
// (see _scripted-ai-sdk.ts). To use a real model, install a provider package and swap one line:
//
//   npm install @ai-sdk/openai            // then, with OPENAI_API_KEY set:
//   import { openai } from '@ai-sdk/openai';
//   const base = openai('gpt-4.1');       // instead of scriptedAiSdkModel(...)
//
// Everything else stays the same. (@ai-sdk/openai is not a dependency of this repository, so the
// example always runs on the mock, even when OPENAI_API_KEY is set.)
import { createWarden, type RunResult } from 'agent-warden';
import { fromAiSdkTools, toAiSdkTools, wardenMiddleware } from 'agent-warden/ai-sdk';
import { recordSpans } from 'agent-warden/testing';
import { generateText, isStepCount, jsonSchema, streamText, tool, wrapLanguageModel } from 'ai';
import { z } from 'zod';
import { scriptedAiSdkModel, type Turn } from './_scripted-ai-sdk.js';

// ---- The tools the team already has, written for the AI SDK --------------------------------------

const existingTools = {
  get_weather: tool({
    description: 'Current weather in a city',
    inputSchema: z.object({ city: z.string().min(2) }),
    execute: async ({ city }) => ({ city, tempC: 21, sky: 'clear' }),
  }),
  send_email: tool({
    description: 'Send an email on behalf of the user',
    // A JSON Schema tool: the warden validates it with the schema's own `validate`.
    inputSchema: jsonSchema<{ to: string; body: string }>(
      {
        type: 'object',
        properties: { to: { type: 'string' }, body: { type: 'string' } },
        required: ['to', 'body'],
      },
      {
        validate: (value) => {
          const v = value as { to?: unknown; body?: unknown };
          return typeof v.to === 'string' && typeof v.body === 'string'
            ? { success: true, value: { to: v.to, body: v.body } }
            : { success: false, error: new Error('to and body must be strings') };
        },
      },
    ),
    execute: async ({ to }) => ({ messageId: `msg_${to}` }),
  }),
};

// ---- The warden ----------------------------------------------------------------------------------

const spans = recordSpans();
const warden = createWarden({
  agent: { name: 'assistant' },
  // The allowlist: the same tools, plus guard options. Tools are 'write' until marked 'read'.
  tools: fromAiSdkTools(existingTools, {
    get_weather: { effect: 'read' },
    send_email: { approval: 'confirm', rules: [(a) => a.to.endsWith('@acme.com') || 'only @acme.com'] },
  }),
  budgets: { run: { steps: 4, tokens: 20_000, costUsd: 0.05 } },
  pricing: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } },
  approvals: { secret: process.env.WARDEN_SECRET ?? 'example-secret-of-at-least-32-bytes!!' },
  telemetry: { tracer: spans.tracer },
});

// Hand the AI SDK the guarded tools and a model that counts steps, tokens and cost.
const tools = toAiSdkTools(warden);
const model = (script: Turn[]) =>
  wrapLanguageModel({ model: scriptedAiSdkModel('gpt-4.1', script), middleware: wardenMiddleware() });

// ---- Three runs ----------------------------------------------------------------------------------

console.log('agent-warden + AI SDK (scripted model, no network)\n');

console.log('1. generateText: a read tool runs, the model answers');
show(
  await warden.run({ userId: 'u_1' }, async (run) => {
    const result = await generateText({
      model: model([
        { call: [{ name: 'get_weather', args: { city: 'Oslo' } }] },
        { say: 'It is 21°C and clear in Oslo.' },
      ]),
      tools,
      stopWhen: isStepCount(10),
      abortSignal: run.signal, // a stop (budget, kill) halts the AI SDK loop
      prompt: 'What is the weather in Oslo?',
    });
    return result.text;
  }),
);

console.log('\n2. streamText: sending an email needs a human; the tool does not run');
const second = await warden.run({ userId: 'u_1' }, async (run) => {
  const result = streamText({
    model: model([
      { call: [{ name: 'send_email', args: { to: 'boss@acme.com', body: 'Running late' } }] },
      { say: 'I asked a human to approve that email.' },
    ]),
    tools,
    stopWhen: isStepCount(10),
    abortSignal: run.signal,
    prompt: 'Tell my boss I am running late.',
  });
  for await (const part of result.fullStream) {
    if (part.type === 'tool-result') console.log(`   the model reads: ${String(part.output)}`);
  }
  return await result.text;
});
show(second);
for (const p of second.pending) console.log(`   pending approval: ${p.summary}`);

console.log('\n3. A model that keeps calling tools is stopped by the step budget (4 model calls)');
spans.reset(); // show only this run's spans below
show(
  await warden.run({ userId: 'u_1' }, async (run) => {
    const cities = ['Rome', 'Milan', 'Turin', 'Naples', 'Genoa', 'Pisa'];
    const loop = cities.map((city) => ({ call: [{ name: 'get_weather', args: { city } }] }));
    const result = await generateText({
      model: model(loop),
      tools,
      stopWhen: isStepCount(20),
      abortSignal: run.signal,
      prompt: 'Check the weather in every Italian city.',
    });
    return result.text;
  }),
);

console.log('\nIts spans, from recordSpans().tree():\n');
console.log(spans.tree());

await warden.close();
await spans.shutdown();

function show(result: RunResult<string>): void {
  const u = result.usage;
  if (result.status === 'completed') console.log(`   → completed: ${JSON.stringify(result.output)}`);
  else console.log(`   → stopped: ${result.stop.code} — ${result.stop.message}`);
  console.log(
    `     ${u.steps} model calls, ${u.toolCalls} tool calls, ${u.inputTokens} in + ${u.outputTokens} out tokens, $${u.costUsd.toFixed(4)}`,
  );
}
