// The benchmark harness: every comparison runs its variants in the same process, in alternating
// batches (guarded, baseline, baseline, ..., then the next round in rotated order), after a warm-up,
// and reports medians and ratios. On a shared machine absolute times are noise; ratios of
// interleaved batches are not (a slow second hits every variant alike).
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export { yieldToEventLoop };

/** `BENCH_QUICK=1`: a ~20 s smoke run (fewer rounds, smaller batches, same code paths). */
export const QUICK = process.env.BENCH_QUICK === '1';

/** `n` in a full run, `n * quickFactor` (at least `min`) in a quick one. */
export function scaled(n: number, quickFactor = 0.1, min = 1): number {
  return QUICK ? Math.max(min, Math.round(n * quickFactor)) : n;
}

/** One operation of a variant; `i` counts calls across the whole comparison (use it to vary arguments). */
export type Op = (i: number) => unknown;

export interface CompareOptions {
  /** Measured rounds; each times one batch of every variant. */
  rounds: number;
  /**
   * Target duration of one batch, in ms: each variant's batch size is calibrated (and re-calibrated
   * after the warm-up) so that its batch takes about this long — a slow variant runs fewer operations
   * per batch than a bare call, and every batch is long enough to time. @default 20
   */
  batchMs?: number;
  /** Fixed operations per batch instead of `batchMs`. */
  batch?: number;
  /** Most operations in one batch. @default 100_000 */
  maxBatch?: number;
  /** Unmeasured rounds first (JIT warm-up). @default max(2, rounds / 5) */
  warmupRounds?: number;
  /** Called before each batch (not timed), e.g. to reset an in-memory exporter. */
  beforeBatch?: (variant: string) => unknown;
}

export interface Stats {
  /** Median ns per operation over the measured rounds. */
  median: number;
  /** Interquartile range of ns per operation. */
  q1: number;
  q3: number;
  /** ns per operation of each measured round, in round order. */
  rounds: number[];
  /** Operations per batch. */
  batch: number;
}

export type Comparison<K extends string> = Record<K, Stats>;

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

async function timeBatch(op: Op, start: number, batch: number): Promise<number> {
  // Start from an empty microtask queue: V8 keeps every WeakRef target made during a job (AbortSignal.any
  // makes several per call) alive until the queue drains, and a batch of resolved awaits never drains it.
  await yieldToEventLoop();
  const t0 = performance.now();
  for (let i = start; i < start + batch; i++) {
    const result = op(i);
    if (result instanceof Promise) await result;
  }
  return ((performance.now() - t0) * 1e6) / batch;
}

/**
 * Run every variant in alternating batches and return its per-operation statistics. The order of the
 * variants rotates each round, so no variant always runs first (after a GC) or last.
 */
export async function compare<K extends string>(
  variants: Record<K, Op>,
  options: CompareOptions,
): Promise<Comparison<K>> {
  const names = Object.keys(variants) as K[];
  const warmup = options.warmupRounds ?? Math.max(2, Math.round(options.rounds / 5));
  const targetNs = (options.batchMs ?? 20) * 1e6;
  const maxBatch = options.maxBatch ?? 100_000;
  const sizeFor = (nsPerOp: number) =>
    options.batch ?? Math.max(1, Math.min(maxBatch, Math.round(targetNs / Math.max(nsPerOp, 1))));
  const batches = {} as Record<K, number>;
  const warm = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  let counter = 0;
  // Calibration: time a few operations of each variant (growing until the probe lasts 2 ms).
  for (const name of names) {
    await options.beforeBatch?.(name);
    let n = 4;
    let ns = await timeBatch(variants[name], counter, n);
    counter += n;
    while (ns * n < 2e6 && n < maxBatch) {
      n *= 4;
      ns = await timeBatch(variants[name], counter, n);
      counter += n;
    }
    batches[name] = sizeFor(ns);
  }
  for (let round = 0; round < warmup + options.rounds; round++) {
    if (round === warmup) for (const name of names) batches[name] = sizeFor(median(warm[name]));
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      await options.beforeBatch?.(name);
      const ns = await timeBatch(variants[name], counter, batches[name]);
      counter += batches[name];
      (round >= warmup ? samples : warm)[name].push(ns);
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const rounds = samples[n];
      return [
        n,
        {
          median: median(rounds),
          q1: quantile(rounds, 0.25),
          q3: quantile(rounds, 0.75),
          rounds,
          batch: batches[n],
        },
      ];
    }),
  ) as Comparison<K>;
}

/**
 * The ratio a / b as the median of the per-round ratios (paired: both batches of a round ran
 * back to back, so drift cancels), which is steadier than the ratio of the two medians.
 */
export function ratio(a: Stats, b: Stats): number {
  const n = Math.min(a.rounds.length, b.rounds.length);
  const paired: number[] = [];
  for (let i = 0; i < n; i++) paired.push(a.rounds[i]! / b.rounds[i]!);
  return median(paired);
}

/** a − b per operation, as the median of the per-round differences. */
export function difference(a: Stats, b: Stats): number {
  const n = Math.min(a.rounds.length, b.rounds.length);
  const paired: number[] = [];
  for (let i = 0; i < n; i++) paired.push(a.rounds[i]! - b.rounds[i]!);
  return median(paired);
}

// ---------------------------------------------------------------------------
// Formatting

/** A duration in ns as `123 ns`, `4.56 µs`, `7.89 ms`. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const abs = Math.abs(ns);
  if (abs < 1_000) return `${ns.toFixed(0)} ns`;
  if (abs < 1_000_000) return `${(ns / 1_000).toFixed(abs < 10_000 ? 2 : 1)} µs`;
  if (abs < 1_000_000_000) return `${(ns / 1_000_000).toFixed(abs < 10_000_000 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(r < 10 ? 2 : 1)}×` : String(r);
}

/** `ns` as a share of a 500 ms model call (the yardstick of docs/performance.md). */
export function shareOf500ms(ns: number): string {
  const percent = (ns / 500e6) * 100;
  if (percent <= 0) return '—';
  return percent < 0.001 ? '< 0.001%' : `${percent.toFixed(3)}%`;
}

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${bytes.toFixed(0)} B`;
  if (abs < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A compact, aligned text table; the first row is the header. A column whose every cell below the
 * header starts with a number is right-aligned.
 */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const [header, ...body] = rows;
  if (!header) return '';
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const numeric = /^[-+]?[\d.,]+/;
  const right = widths.map(
    (_, i) => i > 0 && body.length > 0 && body.every((row) => numeric.test(row[i] ?? '')),
  );
  const line = (row: ReadonlyArray<string>) =>
    row
      .map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------------------
// Targets and reporting

export interface TargetResult {
  /** The number for the target, e.g. `(1)`. */
  id: string;
  /** What is measured, e.g. `run.tool write overhead vs opossum fire()`. */
  what: string;
  /** The target as text, e.g. `≤ 5×`; `—` when the issue sets none. */
  target: string;
  /** The measured figure as text. */
  measured: string;
  /** `null`: no target, the figure is reported only. */
  met: boolean | null;
}

export interface BenchReport {
  bench: string;
  targets: TargetResult[];
  /** Extra figures worth carrying to the summary (name → text). */
  figures: Record<string, string>;
}

/** Collects a benchmark's targets; `done()` prints them and hands them to `bench/index.ts` (IPC). */
export class Reporter {
  readonly #report: BenchReport;

  constructor(bench: string, title: string) {
    this.#report = { bench, targets: [], figures: {} };
    const mode = QUICK ? ' (BENCH_QUICK=1: smoke run, figures are rough)' : '';
    console.log(`\n━━ ${title}${mode}`);
    console.log(`   node ${process.version}, ${process.platform}/${process.arch}`);
  }

  target(result: TargetResult): void {
    this.#report.targets.push(result);
    console.log(
      `   target ${result.id} ${result.what}: ${result.target} — measured ${result.measured} → ${verdict(result.met)}`,
    );
  }

  /** A headline figure the issue sets no target for. */
  info(result: Omit<TargetResult, 'target' | 'met'>): void {
    this.#report.targets.push({ ...result, target: '—', met: null });
    console.log(`   ${result.id} ${result.what}: ${result.measured}`);
  }

  figure(name: string, value: string): void {
    this.#report.figures[name] = value;
  }

  /** Hand the report to `bench/index.ts` when run from it (resolves once the message is sent). */
  done(): Promise<void> {
    const send = process.send?.bind(process);
    if (!send) return Promise.resolve();
    return new Promise((resolve) => {
      send({ type: 'bench-report', report: this.#report }, undefined, {}, () => resolve());
    });
  }
}

export function verdict(met: boolean | null): string {
  return met === null ? 'reported' : met ? 'MET' : 'MISSED';
}

/** Print a table indented under the benchmark's title. */
export function printTable(rows: ReadonlyArray<ReadonlyArray<string>>): void {
  console.log(
    table(rows)
      .split('\n')
      .map((l) => `   ${l}`)
      .join('\n'),
  );
}

/** A column of {@link printComparison}: its header, and its cell for a variant's statistics. */
export type Column = readonly [header: string, cell: (stats: Stats) => string];

/** "vs `base`": the paired ratio to a baseline variant. */
export const vs = (header: string, base: Stats): Column => [
  header,
  (stats) => formatRatio(ratio(stats, base)),
];

/** "added": the paired difference from a baseline variant. */
export const minus = (header: string, base: Stats): Column => [
  header,
  (stats) => formatNs(difference(stats, base)),
];

/** One row per variant: its name, median and IQR per `unit`, then `columns`. */
export function printComparison<K extends string>(
  result: Comparison<K>,
  unit: string,
  columns: ReadonlyArray<Column>,
): void {
  const rows = [['variant', `median / ${unit}`, 'IQR', ...columns.map(([header]) => header)]];
  for (const [name, stats] of Object.entries(result) as Array<[string, Stats]>) {
    rows.push([
      name,
      formatNs(stats.median),
      `${formatNs(stats.q1)} – ${formatNs(stats.q3)}`,
      ...columns.map(([, cell]) => cell(stats)),
    ]);
  }
  printTable(rows);
}

/** Run a benchmark's main function; a crash is printed and exits 1 (a missed target does not). */
export function main(fn: () => Promise<void>): void {
  fn().then(
    // Exit even if a library left a handle open.
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
