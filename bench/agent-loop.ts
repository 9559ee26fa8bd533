// (4) A full scripted agent loop with the testing kit — what one test in a user's suite runs — with
// and without the guard. The script: the model looks something up, sends an email, then answers.
// - unguarded: the same scripted model and tool functions in a plain loop (no warden);
// - guarded loop: `runScriptedAgent` on a warden with mocked tools (`withTools(mockTools(...))`);
// - guarded test: the same, plus creating the mocks and the test warden and closing it, as a test does.
//
//   node --import tsx bench/agent-loop.ts
import type { Warden } from 'agent-warden';
import {
  mockTools,
  runScriptedAgent,
  type ScriptedMessage,
  type ScriptedTurn,
  scriptedModel,
} from 'agent-warden/testing';
import { benchWarden, RESULT } from './fixtures.js';
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

const TURNS: readonly ScriptedTurn[] = [
  {
    toolCalls: [{ name: 'search_docs', args: { query: 'refund policy', limit: 3 } }],
    usage: { inputTokens: 420, outputTokens: 30 },
  },
  {
    toolCalls: [
      {
        name: 'send_email',
        args: { to: 'ada@example.com', subject: 'Your refund', body: 'Your refund has been processed.' },
      },
    ],
    usage: { inputTokens: 610, outputTokens: 45 },
  },
  { text: 'Done: I emailed Ada about her refund.', usage: { inputTokens: 700, outputTokens: 12 } },
];

const warden = benchWarden();
type BenchWarden = typeof warden;

const mockSpec = () =>
  mockTools<BenchWarden>({
    search_docs: { returns: RESULT },
    send_email: { returns: RESULT },
  });

/** The same loop as `runScriptedAgent`, without the warden: tool functions called directly. */
async function unguarded(): Promise<string | undefined> {
  const model = scriptedModel(TURNS);
  const tools: Record<string, (args: unknown) => Promise<unknown>> = {
    search_docs: async () => RESULT,
    send_email: async () => RESULT,
  };
  const messages: ScriptedMessage[] = [];
  for (let turn = 1; turn <= 100; turn++) {
    const response = await Promise.resolve(model.next({ messages }));
    const toolCalls = response.toolCalls.map((c) => ({ name: c.name, args: c.args, id: c.id }));
    messages.push({
      role: 'assistant',
      content: response.text ?? null,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
    });
    if (toolCalls.length === 0) return response.text;
    for (const call of toolCalls) {
      const value = await tools[call.name]!(call.args);
      messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: JSON.stringify(value) });
    }
  }
  throw new Error('the script did not end');
}

async function guardedLoop(testWarden: Pick<Warden, 'run'>): Promise<void> {
  const result = await runScriptedAgent(testWarden, scriptedModel(TURNS), { userId: 'u1' });
  if (result.status !== 'completed') throw new Error(`the guarded loop stopped: ${JSON.stringify(result)}`);
}

main(async () => {
  const report = new Reporter(
    'agent-loop',
    '(4) scripted agent loop (testing kit), 3 turns and 2 tool calls',
  );
  let shared: BenchWarden | undefined;
  const result = await compare(
    {
      unguarded: () => unguarded(),
      'guarded loop': () => guardedLoop(shared!),
      'guarded test (mocks + withTools + close)': async () => {
        const testWarden = warden.withTools(mockSpec());
        await guardedLoop(testWarden);
        await testWarden.close();
      },
    },
    {
      rounds: scaled(20, 0.4),
      batchMs: scaled(40, 0.4),
      beforeBatch: async (variant) => {
        if (variant !== 'guarded loop') return;
        await shared?.close();
        shared = warden.withTools(mockSpec());
      },
    },
  );
  await shared?.close();
  await warden.close();

  printComparison(result, 'loop', [
    vs('vs unguarded', result.unguarded),
    minus('added by the guard', result.unguarded),
  ]);
  const perTest = difference(result['guarded test (mocks + withTools + close)'], result.unguarded);
  console.log(
    `   the guard adds ${formatNs(perTest)} per test: ${Math.round(1e9 / perTest)} such tests per CPU-second`,
  );
  report.figure('guarded loop', formatNs(result['guarded loop'].median));
  report.figure('guard per test', formatNs(perTest));
  report.info({
    id: '(4)',
    what: 'scripted agent loop, guarded vs unguarded (no target in the issue)',
    measured: `${formatNs(result['guarded loop'].median)} vs ${formatNs(result.unguarded.median)} = ${formatRatio(
      ratio(result['guarded loop'], result.unguarded),
    )}; ${formatNs(perTest)} added per test`,
  });
  await report.done();
});
