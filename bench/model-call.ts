// (3) `run.model` overhead: budget checks, step count, usage auto-detected from an OpenAI Chat
// Completions response, cost from the warden's pricing, span (no tracer) and audit event — against
// the bare call, and the bare call plus the same usage extraction and cost computed by hand.
//
//   node --import tsx bench/model-call.ts
import { computeCostUsd, extractUsage, type ModelPrice } from 'agent-warden';
import { benchWarden, type OpenRun, openRun } from './fixtures.js';
import {
  compare,
  difference,
  formatNs,
  main,
  minus,
  printComparison,
  Reporter,
  scaled,
  shareOf500ms,
  vs,
} from './harness.js';

const PRICE: ModelPrice = { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 };
const SPEC = { model: 'gpt-4.1', provider: 'openai' };

/** An OpenAI Chat Completions response (the shape `run.model` reads usage from on its own). */
function completion(i: number) {
  return {
    id: `chatcmpl-${i}`,
    object: 'chat.completion',
    created: 1_767_225_600,
    model: 'gpt-4.1-2025-04-14',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Your refund was issued.', refusal: null },
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 1_200,
      completion_tokens: 80,
      total_tokens: 1_280,
      prompt_tokens_details: { cached_tokens: 1_024 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  };
}

async function provider(i: number) {
  return completion(i);
}

main(async () => {
  const report = new Reporter('model-call', '(3) run.model overhead — usage extraction and cost, no tracer');
  let current: { warden: ReturnType<typeof benchWarden>; open: OpenRun } | undefined;
  const fresh = async () => {
    if (current) {
      await current.open.finish();
      await current.warden.close();
    }
    const warden = benchWarden({ pricing: { 'gpt-4.1': PRICE } });
    current = { warden, open: await openRun(warden) };
  };
  await fresh();
  let costs = 0;

  const result = await compare(
    {
      bare: (i) => provider(i),
      'bare + extractUsage + cost': async (i) => {
        const response = await provider(i);
        const usage = extractUsage(response);
        if (usage) costs += computeCostUsd(usage.usage, PRICE);
        return response;
      },
      'run.model': (i) => current!.open.run.model(SPEC, () => provider(i)),
      'run.model, with an estimate': (i) =>
        current!.open.run.model({ ...SPEC, estimate: { inputTokens: 1_200, outputTokens: 100 } }, () =>
          provider(i),
        ),
    },
    {
      rounds: scaled(25, 0.4),
      batchMs: scaled(25, 0.4),
      beforeBatch: (variant) => (variant.startsWith('run.model') ? fresh() : undefined),
    },
  );
  const usage = current!.open.run.usage;
  await current?.open.finish();
  await current?.warden.close();
  if (!(usage.costUsd > 0 && costs > 0)) throw new Error('no cost was computed: the benchmark is wrong');

  printComparison(result, 'call', [
    vs('vs bare', result.bare),
    minus('overhead', result.bare),
    ['of a 500 ms call', (stats) => shareOf500ms(difference(stats, result.bare))],
  ]);
  const overhead = difference(result['run.model'], result.bare);
  report.figure('run.model overhead', formatNs(overhead));
  report.info({
    id: '(3)',
    what: 'run.model overhead (no target in the issue)',
    measured: `${formatNs(overhead)} per call = ${shareOf500ms(overhead)} of a 500 ms model call`,
  });
  await report.done();
});
