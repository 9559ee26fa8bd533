// Profile the tool-call path: runs `run.tool` (read and write tools, default pipeline, memory store,
// no tracer) in a child process under `node --cpu-prof`, then prints where the time goes, mapped back
// to src/ lines through the TypeScript source maps:
// - self time of the library's own functions;
// - time "charged" to each library function: its self time plus the time of the dependency and
//   Node-internal code it calls directly (each sample goes to the nearest src/ frame on its stack),
//   which is what a change to that function can remove;
// - self time overall, and by file / package.
// Only samples taken after the warm-up count (module loading and JIT warm-up are left out).
//
//   node --import tsx bench/profile.ts [calls]     (default 20,000 calls of each tool)
//   BENCH_PROFILE_TRACER=1 node --import tsx bench/profile.ts   (with the OpenTelemetry SDK tracer)
//   BENCH_PROFILE_ONLY=write node --import tsx bench/profile.ts (calls of the write tool only; or read)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { findSourceMap, type SourceMapping } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchWarden, expectOk, openRun, readArgs, writeArgs } from './fixtures.js';
import { formatNs, main, printTable, QUICK } from './harness.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const MARK = 'agent-warden-profile-start:';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const tracing = process.env.BENCH_PROFILE_TRACER === '1';
/** `read` or `write`: profile calls of that tool only. */
const only = process.env.BENCH_PROFILE_ONLY;

/** The child: warm up, print the start mark (µs, the profiler's clock), then the profiled calls. */
async function workload(calls: number): Promise<void> {
  let tracer: import('@opentelemetry/api').Tracer | undefined;
  let reset = () => {};
  if (tracing) {
    const { recordSpans } = await import('agent-warden/testing');
    const spans = recordSpans();
    tracer = spans.tracer;
    reset = () => spans.reset();
  }
  const chunk = 2_000;
  const batch = async (from: number, to: number) => {
    const warden = benchWarden({
      ...(tracer ? { telemetry: { tracer } } : {}),
    });
    const { run, finish } = await openRun(warden);
    for (let i = from; i < to; i++) {
      if (only !== 'write') expectOk(await run.tool('search_docs', readArgs(i)));
      if (only !== 'read') expectOk(await run.tool('send_email', writeArgs(i)));
    }
    await finish();
    await warden.close();
    reset();
  };
  await batch(-chunk, 0); // warm-up
  console.log(`${MARK}${process.hrtime.bigint() / 1000n}`);
  for (let done = 0; done < calls; done += chunk) await batch(done, Math.min(calls, done + chunk));
}

/** `file:line` of a frame in the original TypeScript when a source map knows it. */
function where(frame: CallFrame): string {
  if (!frame.url) return '(native)';
  let url = frame.url;
  let line = frame.lineNumber;
  const entry = url.startsWith('file://')
    ? findSourceMap(url)?.findEntry(frame.lineNumber, frame.columnNumber)
    : undefined;
  if (entry && 'originalSource' in entry) {
    const mapping = entry as SourceMapping;
    url = mapping.originalSource;
    line = mapping.originalLine;
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const shown = path.startsWith(ROOT) ? relative(ROOT, path) : path;
  return `${shown}:${line + 1}`;
}

const isLibrary = (at: string) => at.startsWith('src/');

interface Row {
  name: string;
  at: string;
  ns: number;
}

function analyse(profile: Profile, since: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const located = new Map<number, { name: string; at: string }>();
  const locate = (id: number) => {
    let found = located.get(id);
    if (!found) {
      const frame = byId.get(id)!.callFrame;
      found = { name: frame.functionName || '(anonymous)', at: where(frame) };
      located.set(id, found);
    }
    return found;
  };
  /** The nearest library frame at or above `id`. */
  const owner = (id: number) => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = locate(at);
      if (isLibrary(frame.at)) return frame;
    }
    return undefined;
  };

  const self = new Map<string, Row>();
  const charged = new Map<string, Row>();
  const add = (map: Map<string, Row>, frame: { name: string; at: string }, ns: number) => {
    const key = `${frame.name}@${frame.at}`;
    const row = map.get(key) ?? { ...frame, ns: 0 };
    row.ns += ns;
    map.set(key, row);
  };
  let total = 0;
  let library = 0;
  let time = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (time < since) return;
    const ns = delta * 1_000;
    total += ns;
    const frame = locate(id);
    add(self, frame, ns);
    const by = owner(id);
    if (by) {
      library += ns;
      add(charged, by, ns);
    }
  });
  const sorted = (map: Map<string, Row>) => [...map.values()].sort((a, b) => b.ns - a.ns);
  return { self: sorted(self), charged: sorted(charged), total, library };
}

/** Self time per file (src/ files; node_modules packages and Node internals as one row each). */
function byFile(rows: Row[]): Row[] {
  const files = new Map<string, number>();
  for (const row of rows) {
    const path = row.at.replace(/:\d+$/, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const key = pkg ? `node_modules/${pkg}` : path.startsWith('node:') ? 'node: (internals)' : path;
    files.set(key, (files.get(key) ?? 0) + row.ns);
  }
  return [...files].map(([file, ns]) => ({ name: file, at: file, ns })).sort((a, b) => b.ns - a.ns);
}

if (process.argv.includes('--child')) {
  main(() => workload(Number(process.argv[process.argv.indexOf('--child') + 1])));
} else {
  main(async () => {
    // The library's modules are loaded here too (through ./fixtures.js), so their source maps are known.
    if (tracing) await import('agent-warden/testing');
    const calls = Number(process.argv[2] ?? (QUICK ? 4_000 : 20_000));
    const dir = mkdtempSync(join(tmpdir(), 'agent-warden-prof-'));
    try {
      const child = spawnSync(
        process.execPath,
        ['--cpu-prof', '--cpu-prof-dir', dir, '--import', 'tsx', SELF, '--child', String(calls)],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: process.env, encoding: 'utf8' },
      );
      if (child.status !== 0) throw new Error(`the profiled child exited with ${child.status}`);
      const mark = child.stdout.split('\n').find((l) => l.startsWith(MARK));
      if (!mark) throw new Error('the profiled child printed no start mark');
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error('no .cpuprofile written');
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
      const { self, charged, total, library } = analyse(profile, Number(mark.slice(MARK.length)));

      const perCall = (ns: number) => formatNs(ns / ((only ? 1 : 2) * calls));
      const pct = (ns: number) => `${((ns / total) * 100).toFixed(1)}%`;
      console.log(
        `\n━━ profile: ${only ? `${calls} ${only}` : `${calls} read + ${calls} write`} run.tool calls (default pipeline, memory store, ` +
          `${tracing ? 'OpenTelemetry SDK tracer' : 'no tracer'}) ` +
          'under node --cpu-prof',
      );
      console.log(
        `   sampled ${formatNs(total)} after warm-up = ${perCall(total)} per call (profiler on); ` +
          `${pct(library)} under a library frame\n`,
      );
      console.log('   charged to library functions (self + the dependency / Node code they call directly):');
      printTable([
        ['function', 'where', 'charged', 'share', 'per call'],
        ...charged.slice(0, 25).map((r) => [r.name, r.at, formatNs(r.ns), pct(r.ns), perCall(r.ns)]),
      ]);
      console.log('\n   self time, library functions:');
      printTable([
        ['function', 'where', 'self', 'share', 'per call'],
        ...self
          .filter((r) => isLibrary(r.at))
          .slice(0, 20)
          .map((r) => [r.name, r.at, formatNs(r.ns), pct(r.ns), perCall(r.ns)]),
      ]);
      console.log('\n   self time, overall:');
      printTable([
        ['function', 'where', 'self', 'share', 'per call'],
        ...self.slice(0, 20).map((r) => [r.name, r.at, formatNs(r.ns), pct(r.ns), perCall(r.ns)]),
      ]);
      console.log('\n   self time by file / package:');
      printTable([
        ['file', 'self', 'share', 'per call'],
        ...byFile(self)
          .slice(0, 20)
          .map((r) => [r.name, formatNs(r.ns), pct(r.ns), perCall(r.ns)]),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
