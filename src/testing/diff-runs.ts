import { canonicalJson } from '../internal/canonical-json.js';
import { findRun, isRecord, type RecordedRun, type RecordingSource } from './record-runs.js';
import { responseToTurn } from './replay-run.js';

/** A run to compare: a recording of one run, a recorded run, or a run of a recording. */
export type RunReference = RecordingSource | RecordedRun | { recording: RecordingSource; runId: string };

/** One step of a run, as `diffRuns` compares it. */
export type RunStep =
  | {
      kind: 'model_turn';
      /** 0-based number among the run's model turns. */
      turn: number;
      model: string;
      outcome: string;
      text?: string;
      toolCalls: Array<{ name: string; args: unknown }>;
      usage?: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
    }
  | {
      kind: 'tool_outcome';
      /** 0-based number among the run's tool calls. */
      call: number;
      tool: string;
      args: unknown;
      outcome: string;
      executed: boolean;
      replayed: boolean;
      value?: unknown;
      error?: { code: string; message: string };
      stop?: string;
    }
  | { kind: 'result'; status: string; stopCode?: string };

/** Where two runs first differ. */
export interface RunDivergence {
  /** 0-based position in the runs' interleaved steps (model turns, tool outcomes, then the result). */
  index: number;
  kind: 'model_turn' | 'tool_outcome' | 'result';
  /** The step of the first run; undefined when it has no step there. */
  a: RunStep | undefined;
  /** The step of the second run; undefined when it has no step there. */
  b: RunStep | undefined;
  /** A sentence for a test failure message. */
  message: string;
}

function resolveRun(ref: RunReference, path: string): RecordedRun {
  if (isRecord(ref) && 'recording' in ref && typeof ref.runId === 'string') {
    return findRun(ref.recording as RecordingSource, ref.runId, path);
  }
  const r = ref as unknown as Partial<RecordedRun>;
  if (isRecord(ref) && typeof r.runId === 'string' && Array.isArray(r.turns)) return r as RecordedRun;
  return findRun(ref as RecordingSource, undefined, path);
}

/** JSON text arguments compare equal to the same arguments as an object. */
function normalArgs(args: unknown): unknown {
  if (typeof args !== 'string') return args;
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

function stepsOf(run: RecordedRun): RunStep[] {
  const timeline: Array<{ seq: number; step: RunStep }> = [];
  run.turns.forEach((call, turn) => {
    const read = call.response === undefined ? null : responseToTurn(call.response);
    timeline.push({
      seq: call.seq,
      step: {
        kind: 'model_turn',
        turn,
        model: call.model,
        outcome: call.outcome,
        ...(read?.text !== undefined ? { text: read.text } : {}),
        toolCalls: (read?.toolCalls ?? []).map((c) => ({ name: c.name, args: normalArgs(c.args) })),
        ...(call.usage ? { usage: call.usage } : {}),
      },
    });
  });
  run.toolCalls.forEach((c, call) => {
    timeline.push({
      seq: c.seq,
      step: {
        kind: 'tool_outcome',
        call,
        tool: c.tool,
        args: normalArgs(c.args),
        outcome: c.outcome,
        executed: c.executed,
        replayed: c.replayed,
        ...('value' in c ? { value: c.value } : {}),
        ...(c.error ? { error: c.error } : {}),
        ...(c.stop !== undefined ? { stop: c.stop } : {}),
      },
    });
  });
  timeline.sort((x, y) => x.seq - y.seq);
  const steps = timeline.map((t) => t.step);
  if (run.result) {
    steps.push({
      kind: 'result',
      status: run.result.status,
      ...(run.result.stopCode !== undefined ? { stopCode: run.result.stopCode } : {}),
    });
  }
  return steps;
}

function same(a: RunStep, b: RunStep): boolean {
  const { turn: _t1, call: _c1, ...x } = a as RunStep & { turn?: number; call?: number };
  const { turn: _t2, call: _c2, ...y } = b as RunStep & { turn?: number; call?: number };
  try {
    return canonicalJson(x) === canonicalJson(y);
  } catch {
    return false;
  }
}

function describeStep(step: RunStep | undefined): string {
  if (!step) return 'nothing';
  switch (step.kind) {
    case 'model_turn': {
      const calls = step.toolCalls.map((c) => `${c.name}(${canonicalJson(c.args)})`).join(', ');
      return calls ? `tool calls ${calls}` : `text ${JSON.stringify(step.text ?? '')}`;
    }
    case 'tool_outcome':
      return `${step.tool} → ${step.outcome}${step.error ? ` (${step.error.message})` : ''}`;
    case 'result':
      return `${step.status}${step.stopCode ? ` (${step.stopCode})` : ''}`;
  }
}

function label(step: RunStep): string {
  if (step.kind === 'model_turn') return `model turn ${step.turn + 1}`;
  if (step.kind === 'tool_outcome') return `tool call ${step.call + 1}`;
  return 'the run result';
}

/**
 * Where two runs first diverge: the first model turn (text, tool calls, usage, model) or tool
 * outcome (tool, arguments, outcome, value or error) that differs, else the run results (status
 * and stop code). Ids, timestamps and durations are not compared. Returns `null` when they agree.
 *
 * Each side is a recording of one run (e.g. a recorder used for one replay), a recorded run, or
 * `{ recording, runId }`.
 */
export function diffRuns(a: RunReference, b: RunReference): RunDivergence | null {
  const stepsA = stepsOf(resolveRun(a, 'diffRuns(a)'));
  const stepsB = stepsOf(resolveRun(b, 'diffRuns(b)'));
  const length = Math.max(stepsA.length, stepsB.length);
  for (let index = 0; index < length; index++) {
    const x = stepsA[index];
    const y = stepsB[index];
    if (x && y && same(x, y)) continue;
    const kind = (x ?? y)!.kind;
    const where = x ? label(x) : label(y!);
    return {
      index,
      kind,
      a: x,
      b: y,
      message: `runs diverge at step ${index + 1} (${where}): ${describeStep(x)} ≠ ${describeStep(y)}`,
    };
  }
  return null;
}
