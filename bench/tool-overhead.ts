// (1) Per-call overhead of `run.tool` with the default pipeline (memory store, no tracer), for a
// read tool and for a write tool (idempotency on), against a bare async call, an opossum `fire()`
// and a cockatiel circuit breaker `execute()`.
//
//   node --import tsx bench/tool-overhead.ts

import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { benchWarden, expectOk, type OpenRun, openRun, readArgs, work, writeArgs } from './fixtures.js';
import {
  compare,
  difference,
  formatNs,
  formatRatio,
  main,
  printComparison,
  Reporter,
  scaled,
  vs,
} from './harness.js';

/** Target (1): the guard's overhead per call at most this many opossum `fire()`s. */
const TARGET_VS_OPOSSUM = 5;

main(async () => {
  const report = new Reporter('tool-overhead', '(1) run.tool overhead per call — memory store, no tracer');

  // opossum as most code uses it (its default 10 s timeout arms a timer per call), and without the timer.
  const opossum = new CircuitBreaker(work, {});
  const opossumNoTimeout = new CircuitBreaker(work, { timeout: false });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });

  // A fresh warden (and so a fresh memory store) for each guarded batch: a write call leaves an
  // idempotency record for 24 h, and the store's key cap must not be what the benchmark measures.
  let current: { warden: ReturnType<typeof benchWarden>; open: OpenRun } | undefined;
  const fresh = async () => {
    if (current) {
      await current.open.finish();
      await current.warden.close();
    }
    const warden = benchWarden();
    current = { warden, open: await openRun(warden) };
  };

  const result = await compare(
    {
      bare: (i) => work(readArgs(i)),
      opossum: (i) => opossum.fire(readArgs(i)),
      'opossum (timeout: false)': (i) => opossumNoTimeout.fire(readArgs(i)),
      cockatiel: (i) => cockatiel.execute(() => work(readArgs(i))),
      'run.tool read': async (i) => expectOk(await current!.open.run.tool('search_docs', readArgs(i))),
      'run.tool write': async (i) => expectOk(await current!.open.run.tool('send_email', writeArgs(i))),
      'run.tool write, idempotency: false': async (i) =>
        expectOk(await current!.open.run.tool('send_email_unkeyed', writeArgs(i))),
    },
    {
      rounds: scaled(25, 0.4),
      batchMs: scaled(25, 0.4),
      beforeBatch: (variant) => (variant.startsWith('run.tool') ? fresh() : undefined),
    },
  );
  await current?.open.finish();
  await current?.warden.close();
  opossum.shutdown();
  opossumNoTimeout.shutdown();

  printComparison(result, 'call', [
    vs('vs bare', result.bare),
    vs('vs opossum', result.opossum),
    vs('vs cockatiel', result.cockatiel),
  ]);

  const bare = result.bare;
  const fire = result.opossum.median;
  for (const kind of ['read', 'write'] as const) {
    const guarded = result[`run.tool ${kind}`];
    const overhead = difference(guarded, bare);
    report.figure(`run.tool ${kind} overhead`, formatNs(overhead));
    report.target({
      id: '(1)',
      what: `run.tool ${kind} overhead (guarded − bare) vs one opossum fire() (${formatNs(fire)})`,
      target: `≤ ${TARGET_VS_OPOSSUM}×`,
      measured: `${formatNs(overhead)} = ${formatRatio(overhead / fire)}`,
      met: overhead <= TARGET_VS_OPOSSUM * fire,
    });
  }
  await report.done();
});
