// Runs every benchmark, each in a process of its own (a clean heap and JIT; --expose-gc where needed),
// one after the other, then prints the targets of the issue, met or missed, with the figures.
//
//   npm run bench                      (node --import tsx bench/index.ts)
//   npm run bench:smoke                (--quick: BENCH_QUICK=1, a ~20 s smoke run)
//   npm run bench -- tracing memory    (only these)
// Exits 1 only if a benchmark crashed: a missed target is a figure, not a failure.
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchReport, formatBytes, table, verdict } from './harness.js';

const BENCHES: ReadonlyArray<{ name: string; flags?: string[] }> = [
  { name: 'tool-overhead' },
  { name: 'tracing' },
  { name: 'model-call' },
  { name: 'agent-loop' },
  { name: 'ai-sdk' },
  { name: 'memory', flags: ['--expose-gc'] },
  { name: 'redis' },
];

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const only = args.filter((a) => !a.startsWith('--'));
const unknown = only.filter((name) => !BENCHES.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}
const selected = only.length > 0 ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES;

function runBench(name: string, flags: string[]): Promise<{ code: number | null; report?: BenchReport }> {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  return new Promise((resolve) => {
    let report: BenchReport | undefined;
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', file], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...(quick ? { BENCH_QUICK: '1' } : {}) },
    });
    child.on('message', (message: { type?: string; report?: BenchReport }) => {
      if (message?.type === 'bench-report') report = message.report;
    });
    child.on('exit', (code) => resolve({ code, ...(report ? { report } : {}) }));
  });
}

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(
  `agent-warden benchmarks${quick ? ' (quick smoke run: BENCH_QUICK=1)' : ''} — node ${process.version}, ` +
    `${cpus().length} × ${cpu}, ${formatBytes(totalmem())} RAM, ${process.platform}/${process.arch}`,
);
const started = Date.now();
const reports: BenchReport[] = [];
const crashed: string[] = [];
for (const bench of selected) {
  const t0 = Date.now();
  const { code, report } = await runBench(bench.name, bench.flags ?? []);
  console.log(`   (${bench.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (code !== 0) crashed.push(`${bench.name} (exit ${code})`);
  if (report) reports.push(report);
}

console.log(`\n━━ Summary (${((Date.now() - started) / 1000).toFixed(0)} s)`);
const rows = [['', 'what', 'target', 'measured', '']];
for (const report of reports) {
  for (const t of report.targets) rows.push([t.id, t.what, t.target, t.measured, verdict(t.met)]);
}
console.log(table(rows));
const targets = reports.flatMap((r) => r.targets).filter((t) => t.met !== null);
console.log(
  `\n${targets.filter((t) => t.met).length} of ${targets.length} targets met` +
    (crashed.length > 0 ? `; crashed: ${crashed.join(', ')}` : ''),
);
process.exit(crashed.length > 0 ? 1 : 0);
