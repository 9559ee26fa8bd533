// (6) Memory. Needs `--expose-gc` (re-runs itself with it when missing).
//
// a. Steady state: guarded tool calls (half reads, half writes with idempotency on) across runs of
//    100 calls each, for 100 users in 10 tenants with user (day) and tenant (month) scoped budgets,
//    on one warden with the default memory store. The warden's clock is a manual clock that moves a
//    week over the benchmark, so idempotency records (24 h TTL), settled reservations and budget
//    windows expire as in production. Heap after GC is sampled every 5 % of the runs; after the
//    warm-up (the first 24 h TTL plus margin) it must stay flat.
// b. Bytes retained per finished run (real clock, nothing expires): runs with a model call and a read
//    tool call, and runs that also make a write call (whose idempotency record is kept for 24 h by design).
// c. At the cap: nothing expires (real clock) and write calls go on past `memoryStore({ maxKeys })`.
//    The heap must stop growing at the cap; calls past it fail closed (`store_unavailable`).
//
//   node --expose-gc --import tsx bench/memory.ts
//   BENCH_MEMORY_CALLS=1000000 node --expose-gc --import tsx bench/memory.ts   (the full figure)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, memoryStore } from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { benchWarden, expectOk, readArgs, writeArgs } from './fixtures.js';
import { formatBytes, formatNs, main, printTable, QUICK, Reporter, yieldToEventLoop } from './harness.js';

const CALLS_PER_RUN = 100;
/** Simulated time the whole steady-state benchmark spans. */
const SIMULATED_MS = 7 * 86_400_000;
/** The first part of the simulated time is warm-up: the 24 h idempotency TTL, plus margin. */
const WARMUP_MS = 2 * 86_400_000;
/** Heap growth after the warm-up still counted as flat (GC and JIT noise). */
const TOLERANCE = { fraction: 0.05, bytes: 2 * 1024 * 1024 };
/** Heap samples over the benchmark. */
const SAMPLES = 20;
const USERS = 100;
const TENANTS = 10;
const SPEC = { model: 'gpt-4.1-mini', provider: 'openai' };

declare const gc: (() => void) | undefined;

/**
 * Heap used after full GCs. Between them, back to the event loop: V8 keeps WeakRef targets created
 * during a job until the microtask queue drains (AbortSignal.any makes WeakRefs on every tool call),
 * and FinalizationRegistry clean-ups (which drop AbortSignal.any's bookkeeping) run as tasks after a GC.
 */
async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

async function steadyState(report: Reporter, totalCalls: number): Promise<void> {
  const runs = Math.max(10, Math.round(totalCalls / CALLS_PER_RUN));
  const clock = createManualClock();
  const warden = benchWarden({
    clock,
    budgets: {
      // The default run duration budget: a settled reservation id is remembered for the run's lease
      // (its duration budget + 1 min), and the loose 24 h budget of the other benchmarks would keep
      // 100 of them per run for a day, past the memory store's 100,000-key cap.
      run: { durationMs: DEFAULTS.budgets.run.durationMs },
      user: { toolCalls: 1_000_000_000, tokens: 1_000_000_000_000, window: 'day' },
      tenant: { toolCalls: 1_000_000_000, tokens: 1_000_000_000_000, window: 'month' },
    },
  });
  const step = SIMULATED_MS / runs;
  const checkpoints: Array<{ runs: number; simulatedMs: number; heap: number; seconds: number }> = [];
  const started = performance.now();
  const sample = async (done: number) => {
    const heap = await heapAfterGc();
    checkpoints.push({
      runs: done,
      simulatedMs: done * step,
      heap,
      seconds: (performance.now() - started) / 1_000,
    });
  };
  await sample(0);
  let n = 0;
  for (let r = 0; r < runs; r++) {
    const user = r % USERS;
    const result = await warden.run(
      { userId: `user_${user}`, tenantId: `tenant_${user % TENANTS}` },
      async (run) => {
        await run.model(SPEC, async () => ({ usage: { prompt_tokens: 900, completion_tokens: 60 } }));
        for (let c = 0; c < CALLS_PER_RUN; c += 2) {
          expectOk(await run.tool('search_docs', readArgs(n)));
          expectOk(await run.tool('send_email', writeArgs(n)));
          n++;
        }
      },
    );
    if (result.status !== 'completed') throw new Error(`run ${r} stopped: ${JSON.stringify(result.stop)}`);
    clock.advance(step);
    // Each run in its own macrotask, as in a server handling requests.
    await yieldToEventLoop();
    if ((r + 1) % Math.max(1, Math.round(runs / SAMPLES)) === 0 || r === runs - 1) await sample(r + 1);
  }
  await warden.close();
  const elapsed = (performance.now() - started) / 1_000;
  const calls = runs * CALLS_PER_RUN;

  // Expired entries are dropped by amortised sweeps, so the heap saw-tooths: compare the peaks of the
  // two halves after the warm-up, not two single samples.
  const afterWarmup = checkpoints.find((c) => c.simulatedMs >= WARMUP_MS) ?? checkpoints.at(-1)!;
  const post = checkpoints.filter((c) => c.runs >= afterWarmup.runs);
  const half = Math.ceil(post.length / 2);
  const firstPeak = Math.max(...post.slice(0, half).map((c) => c.heap));
  const second = post.slice(half).map((c) => c.heap);
  const secondPeak = second.length > 0 ? Math.max(...second) : firstPeak;
  const growth = secondPeak - firstPeak;
  const allowed = firstPeak * TOLERANCE.fraction + TOLERANCE.bytes;

  console.log(
    `   a. ${calls.toLocaleString('en')} guarded tool calls (+ ${runs.toLocaleString('en')} model calls) across ` +
      `${runs.toLocaleString('en')} runs, ${USERS} users, ${TENANTS} tenants; ` +
      `${(SIMULATED_MS / 86_400_000).toFixed(0)} simulated days; ${elapsed.toFixed(1)} s ` +
      `(${formatNs((elapsed * 1e9) / (calls + runs))} per call)`,
  );
  printTable([
    ['runs', 'simulated', 'heap after GC', 'vs after warm-up', 'wall'],
    ...checkpoints.map((c) => [
      c.runs.toLocaleString('en'),
      `${(c.simulatedMs / 3_600_000).toFixed(1)} h`,
      formatBytes(c.heap),
      c.runs >= afterWarmup.runs
        ? `${c.heap >= afterWarmup.heap ? '+' : ''}${formatBytes(c.heap - afterWarmup.heap)}`
        : 'warm-up',
      `${c.seconds.toFixed(1)} s`,
    ]),
  ]);
  report.figure('heap peak after warm-up, first half', formatBytes(firstPeak));
  report.figure('heap peak after warm-up, second half', formatBytes(secondPeak));
  report.target({
    id: '(6)',
    what: `heap growth after warm-up, ${calls.toLocaleString('en')} calls / ${runs.toLocaleString('en')} runs (peak of 2nd half vs 1st)`,
    target: `flat (≤ ${formatBytes(allowed)}: 5 % + 2 MiB)`,
    measured: `${growth >= 0 ? '+' : ''}${formatBytes(growth)} (peaks ${formatBytes(firstPeak)} → ${formatBytes(secondPeak)})`,
    met: growth <= allowed,
  });
}

async function retainedPerRun(report: Reporter, runs: number): Promise<void> {
  const rows = [['runs of', 'runs', 'retained', 'per finished run']];
  for (const kind of ['model + read', 'model + read + write'] as const) {
    const warden = benchWarden();
    let n = 1_000_000_000;
    const one = () =>
      warden.run({ userId: 'u1', tenantId: 't1' }, async (run) => {
        await run.model(SPEC, async () => ({ usage: { prompt_tokens: 900, completion_tokens: 60 } }));
        expectOk(await run.tool('search_docs', readArgs(n++)));
        if (kind === 'model + read + write') expectOk(await run.tool('send_email', writeArgs(n++)));
      });
    for (let i = 0; i < 200; i++) await one(); // warm-up: JIT, lazily created state
    const before = await heapAfterGc();
    for (let i = 0; i < runs; i++) {
      await one();
      await yieldToEventLoop();
    }
    const after = await heapAfterGc();
    await warden.close();
    const perRun = (after - before) / runs;
    rows.push([kind, runs.toLocaleString('en'), formatBytes(after - before), formatBytes(perRun)]);
    report.figure(`retained per run (${kind})`, formatBytes(perRun));
  }
  console.log('   b. heap retained by finished runs (real clock: nothing has expired yet)');
  printTable(rows);
}

async function atTheCap(report: Reporter, maxKeys: number): Promise<void> {
  const warden = benchWarden({ store: memoryStore({ maxKeys }) });
  let n = 2_000_000_000;
  let ok = 0;
  let refused = 0;
  let firstRefusal: string | undefined;
  const batch = async (calls: number) => {
    const result = await warden.run({ userId: 'u1' }, async (run) => {
      for (let i = 0; i < calls; i++) {
        const outcome = await run.tool('send_email', writeArgs(n++));
        if (outcome.ok) ok++;
        else {
          refused++;
          firstRefusal ??= outcome.error.code;
        }
      }
    });
    if (result.status !== 'completed') throw new Error(`stopped: ${JSON.stringify(result.stop)}`);
    await yieldToEventLoop();
  };
  const before = await heapAfterGc();
  const samples: Array<{ calls: number; heap: number }> = [];
  const perRun = 100;
  for (let calls = 0; calls < 3 * maxKeys; calls += perRun) {
    await batch(perRun);
    if ((calls + perRun) % maxKeys === 0) samples.push({ calls: calls + perRun, heap: await heapAfterGc() });
  }
  await warden.close();
  const atCap = samples[0]!.heap;
  const last = samples.at(-1)!.heap;
  const growth = last - atCap;
  const allowed = atCap * TOLERANCE.fraction + TOLERANCE.bytes;
  console.log(
    `   c. memoryStore({ maxKeys: ${maxKeys.toLocaleString('en')} }), write calls, nothing expires: ` +
      `${ok.toLocaleString('en')} ran, ${refused.toLocaleString('en')} refused (${firstRefusal ?? 'none'})`,
  );
  printTable([
    ['write calls', 'heap after GC', 'vs at the cap'],
    ['0', formatBytes(before), ''],
    ...samples.map((c) => [c.calls.toLocaleString('en'), formatBytes(c.heap), formatBytes(c.heap - atCap)]),
  ]);
  const perKey = (atCap - before) / maxKeys;
  console.log(`   ≈ ${formatBytes(perKey)} per idempotency record (with the run and call state around it)`);
  report.figure('bytes per idempotency record', formatBytes(perKey));
  report.target({
    id: '(6)',
    what: `heap growth past the store's cap (${maxKeys.toLocaleString('en')} keys, 3× as many write calls)`,
    target: `≤ ${formatBytes(allowed)}`,
    measured: `${growth >= 0 ? '+' : ''}${formatBytes(growth)}; calls past the cap: ${firstRefusal ?? 'none refused'}`,
    met: growth <= allowed && refused > 0,
  });
}

if (typeof gc !== 'function') {
  // Re-run with --expose-gc (keeping --import tsx), passing the IPC channel on when bench/index.ts runs us.
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: process.env },
  );
  process.exit(child.status ?? 1);
} else {
  main(async () => {
    const report = new Reporter(
      'memory',
      '(6) memory: steady-state heap and bytes retained per finished run',
    );
    const calls = Number(process.env.BENCH_MEMORY_CALLS ?? (QUICK ? 10_000 : 200_000));
    if (calls < 1_000_000) {
      console.log(
        `   scaled to ${calls.toLocaleString('en')} calls to fit the time budget; ` +
          'BENCH_MEMORY_CALLS=1000000 runs the full 1,000,000 calls across 10,000 runs',
      );
    }
    await steadyState(report, calls);
    await retainedPerRun(report, QUICK ? 300 : 2_000);
    await atTheCap(report, QUICK ? 2_000 : 20_000);
    await report.done();
  });
}
