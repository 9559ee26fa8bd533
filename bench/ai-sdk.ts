// (5) The AI SDK `generateText` loop with `MockLanguageModelV4` and five tools, guarded
// (`wardenMiddleware()` + `toAiSdkTools(warden)` inside `warden.run`) vs unguarded (the same tools
// as plain AI SDK tools). The script: three tools called in parallel, then two, then the answer —
// three model calls and five tool calls per loop. The mock model answers at once, so this is the
// guard's cost against the AI SDK's own, with no network time to hide it.
//
//   node --import tsx bench/ai-sdk.ts
import { createWarden, defineTool } from 'agent-warden';
import { toAiSdkTools, wardenMiddleware } from 'agent-warden/ai-sdk';
import { generateText, isStepCount, type ToolSet, tool, wrapLanguageModel } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';
import { LOOSE_RUN_BUDGET } from './fixtures.js';
import {
  compare,
  difference,
  formatNs,
  formatRatio,
  main,
  minus,
  printComparison,
  Reporter,
  ratio,
  scaled,
  vs,
} from './harness.js';

/** Target (5): the guarded loop at most this many times the unguarded one. */
const TARGET = 1.1;

const RESULTS = {
  search_docs: { hits: [{ id: 'kb_12', title: 'Refund policy' }] },
  get_order: { orderId: 'ord_1042', status: 'delivered', total: 42 },
  get_customer: { customerId: 'cus_7', name: 'Ada', tier: 'gold' },
  check_inventory: { sku: 'sku_9', available: 3 },
  send_email: { messageId: 'msg_1' },
} as const;

const INPUTS = {
  search_docs: z.object({ query: z.string().min(1) }),
  get_order: z.object({ orderId: z.string().regex(/^ord_\d+$/) }),
  get_customer: z.object({ customerId: z.string() }),
  check_inventory: z.object({ sku: z.string(), quantity: z.number().int().positive() }),
  send_email: z.object({ to: z.string(), subject: z.string(), body: z.string() }),
};

type Name = keyof typeof INPUTS;
const NAMES = Object.keys(INPUTS) as Name[];

/** Executions of the warden's tools: each guarded loop must run all five. */
let executed = 0;

/** The warden's tools: four reads and one write (idempotency on). */
const wardenTools = NAMES.map((name) =>
  defineTool({
    name,
    description: `The ${name.replace('_', ' ')} tool`,
    input: INPUTS[name] as z.ZodObject,
    ...(name === 'send_email' ? {} : { effect: 'read' as const }),
    execute: async () => {
      executed++;
      return RESULTS[name];
    },
  }),
);

/** The same tools as plain AI SDK tools. */
const plainTools: ToolSet = Object.fromEntries(
  NAMES.map((name) => [
    name,
    tool({
      description: `The ${name.replace('_', ' ')} tool`,
      inputSchema: INPUTS[name] as z.ZodObject,
      execute: async () => RESULTS[name],
    }),
  ]),
);

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

let callIds = 0;
const call = (toolName: Name, input: unknown) => ({
  type: 'tool-call' as const,
  toolCallId: `call_${++callIds}`,
  toolName,
  input: JSON.stringify(input),
});

/** A fresh mock model playing the script: 3 parallel tool calls, 2 more, then the answer. */
function mockModel(i: number): MockLanguageModelV4 {
  let turn = 0;
  return new MockLanguageModelV4({
    provider: 'openai.chat',
    modelId: 'gpt-4.1',
    doGenerate: async () => {
      turn++;
      const finishReason = {
        unified: turn < 3 ? ('tool-calls' as const) : ('stop' as const),
        raw: undefined,
      };
      const content =
        turn === 1
          ? [
              call('search_docs', { query: `refund policy ${i}` }),
              call('get_order', { orderId: `ord_${1000 + (i % 1000)}` }),
              call('get_customer', { customerId: `cus_${i}` }),
            ]
          : turn === 2
            ? [
                call('check_inventory', { sku: `sku_${i}`, quantity: 1 }),
                call('send_email', {
                  to: 'ada@example.com',
                  subject: `Order ${i}`,
                  body: 'It is on its way.',
                }),
              ]
            : [{ type: 'text' as const, text: 'Your order was delivered; I emailed you the details.' }];
      return {
        content,
        finishReason,
        usage: usage(400 + 200 * turn, 40),
        response: { id: `resp_${i}_${turn}`, modelId: 'gpt-4.1-2025-04-14' },
        warnings: [],
      };
    },
  });
}

const PROMPT = 'Where is my order, and is the replacement in stock?';

main(async () => {
  const report = new Reporter(
    'ai-sdk',
    '(5) AI SDK generateText loop: 3 model calls, 5 tools, guarded vs not',
  );
  const warden = createWarden({
    tools: wardenTools,
    budgets: { run: LOOSE_RUN_BUDGET },
    pricing: { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } },
  });
  const guardedTools = toAiSdkTools(warden);
  const middleware = wardenMiddleware();

  const unguarded = async (i: number) => {
    const result = await generateText({
      model: mockModel(i),
      tools: plainTools,
      stopWhen: isStepCount(10),
      prompt: PROMPT,
    });
    if (result.steps.length !== 3) throw new Error(`unguarded: ${result.steps.length} steps`);
  };
  const guarded = async (i: number) => {
    const before = executed;
    const result = await warden.run({ userId: 'u1' }, (run) =>
      generateText({
        model: wrapLanguageModel({ model: mockModel(i), middleware }),
        tools: guardedTools,
        stopWhen: isStepCount(10),
        abortSignal: run.signal,
        prompt: PROMPT,
      }),
    );
    if (result.status !== 'completed' || result.output.steps.length !== 3) {
      throw new Error(`guarded: ${JSON.stringify(result.status === 'stopped' ? result.stop : result.usage)}`);
    }
    if (executed - before !== 5) {
      throw new Error(
        `guarded: ${executed - before} of 5 tools ran: ${JSON.stringify(result.output.steps.flatMap((s) => s.content.filter((c) => c.type === 'tool-result' || c.type === 'tool-error')))}`,
      );
    }
  };

  const result = await compare({ unguarded, guarded }, { rounds: scaled(25, 0.4), batchMs: scaled(50, 0.4) });
  await warden.close();

  printComparison(result, 'loop', [
    vs('vs unguarded', result.unguarded),
    minus('added by the guard', result.unguarded),
  ]);
  const added = difference(result.guarded, result.unguarded);
  console.log(
    `   the guard adds ${formatNs(added)} per loop (3 model calls + 5 tool calls): ` +
      `${((added / (3 * 500e6)) * 100).toFixed(3)}% of three 500 ms model calls`,
  );
  const r = ratio(result.guarded, result.unguarded);
  report.figure('ai-sdk guard per loop', formatNs(added));
  report.target({
    id: '(5)',
    what: `generateText loop guarded vs unguarded (${formatNs(result.unguarded.median)} unguarded)`,
    target: `≤ ${TARGET.toFixed(2)}×`,
    measured: `${formatNs(result.guarded.median)} = ${formatRatio(r)}`,
    met: r <= TARGET,
  });
  await report.done();
});
