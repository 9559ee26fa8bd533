import type { AuditEvent, AuditSink } from '../audit/types.js';
import { WardenConfigError } from '../errors.js';

// ---------------------------------------------------------------------------
// The recording format

/** One model call of a recorded run. */
export interface RecordedModelCall {
  seq: number;
  ts: number;
  model: string;
  provider?: string;
  /** `ok`, or what ended the call (an error type or a stop code). */
  outcome: string;
  usage?: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
  costUsd?: number;
  durationMs: number;
  /** The response as the model call returned it (a JSON copy); absent when the call failed. */
  response?: unknown;
}

/** A failed attempt of a tool call that was retried (from the `tool_retry` audit event). */
export interface RecordedRetry {
  /** The attempt that followed (2 for the first retry). */
  attempt: number;
  delayMs: number;
  /** The failed attempt's error message. */
  error: string;
}

/** One tool call of a recorded run. */
export interface RecordedToolCall {
  seq: number;
  ts: number;
  /** The name the model asked for. */
  tool: string;
  callId: string;
  /** The validated arguments, or the raw ones when they did not validate. */
  args: unknown;
  /** `ok`, the outcome code, or the stop code when the call stopped the run. */
  outcome: string;
  /** True when `execute` was called (at least one attempt). */
  executed: boolean;
  /** Attempts made (0 when `execute` was not reached). */
  attempts: number;
  value?: unknown;
  error?: { code: string; message: string };
  /** The stop code when the call ended the run. */
  stop?: string;
  replayed: boolean;
  fallback: boolean;
  retries: RecordedRetry[];
  durationMs: number;
}

/** Everything recorded about one run. */
export interface RecordedRun {
  runId: string;
  agent?: string;
  userId?: string;
  tenantId?: string;
  sessionId?: string;
  traceId?: string;
  /** Model calls, in order. */
  turns: RecordedModelCall[];
  /** Tool calls, in order. */
  toolCalls: RecordedToolCall[];
  /** Every audit event of the run, in order, without content. */
  events: AuditEvent[];
  /** How the run ended; absent while it is in progress. */
  result?: { status: 'completed' | 'stopped' | 'error'; stopCode?: string; usage: Record<string, number> };
}

/** A recording as JSON: `JSON.stringify(recorder)` writes it, `recordRuns.fromJSON` reads it. */
export interface RecordingJSON {
  format: 'agent-warden.recording';
  version: 1;
  runs: RecordedRun[];
}

/** Recorded runs, read-only. */
export interface RunRecording {
  /** Ids of the recorded runs, in the order they started. */
  runs(): string[];
  /** One run (a deep copy), or undefined. */
  run(runId: string): RecordedRun | undefined;
  /** A serialisable deep copy. */
  toJSON(): RecordingJSON;
}

/** An audit sink (with `content: true`) that records full runs. Pass it as `createWarden({ audit })`. */
export interface RunRecorder extends RunRecording, AuditSink {
  readonly content: true;
  write(event: AuditEvent): void;
  /** Forget every recorded run. */
  clear(): void;
}

export interface RecordRunsOptions {
  /** Runs to keep; when more start, the oldest are dropped. @default 1_000 */
  maxRuns?: number;
}

const FORMAT = 'agent-warden.recording';
const DEFAULT_MAX_RUNS = 1_000;

/** A JSON copy: what a recording holds is exactly what survives `JSON.stringify`. */
function toPlain(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return '[unserialisable]';
  }
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** @internal */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutContent(event: AuditEvent): AuditEvent {
  const { content: _content, ...rest } = event;
  return toPlain(rest) as AuditEvent;
}

function recording(runs: Map<string, RecordedRun>): RunRecording {
  return {
    runs: () => [...runs.keys()],
    run: (runId) => {
      const run = runs.get(runId);
      return run ? copy(run) : undefined;
    },
    toJSON: () => ({ format: FORMAT, version: 1, runs: [...runs.values()].map(copy) }),
  };
}

/**
 * A recorder of full runs — model responses and tool calls with their arguments and results —
 * for tests and incident debugging, not for production audit. It is an audit sink that asks for
 * content (`content: true`): pass it as `createWarden({ audit: recordRuns() })` (or feed it events
 * with `write`). `JSON.stringify(recorder)` saves it; `recordRuns.fromJSON` loads it back, and
 * `replayRun` turns a recorded run into a scripted model and tool mocks.
 */
export function recordRuns(options: RecordRunsOptions = {}): RunRecorder {
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  if (!Number.isSafeInteger(maxRuns) || maxRuns < 1) {
    throw new WardenConfigError({
      path: 'recordRuns.maxRuns',
      message: `expected a positive integer, got ${String(maxRuns)}`,
    });
  }
  const runs = new Map<string, RecordedRun>();
  /** `tool_retry` events arrive before the `tool_call` they belong to. */
  const retries = new Map<string, RecordedRetry[]>();

  const runFor = (event: AuditEvent): RecordedRun => {
    const runId = event.runId!;
    let run = runs.get(runId);
    if (!run) {
      run = { runId, turns: [], toolCalls: [], events: [] };
      for (const key of ['userId', 'tenantId', 'sessionId', 'traceId'] as const) {
        if (event[key] !== undefined) run[key] = event[key];
      }
      runs.set(runId, run);
      while (runs.size > maxRuns) runs.delete(runs.keys().next().value!);
    }
    return run;
  };

  const view = recording(runs);
  return {
    content: true,
    write(event) {
      if (!isRecord(event) || typeof event.runId !== 'string') return;
      const run = runFor(event);
      run.events.push(withoutContent(event));
      const content = isRecord(event.content) ? event.content : {};
      switch (event.type) {
        case 'run_started':
          run.agent = event.agent;
          break;
        case 'model_call':
          run.turns.push({
            seq: event.seq,
            ts: event.ts,
            model: event.model,
            ...(event.provider !== undefined ? { provider: event.provider } : {}),
            outcome: event.outcome,
            ...(event.inputTokens !== undefined
              ? {
                  usage: {
                    inputTokens: event.inputTokens,
                    outputTokens: event.outputTokens ?? 0,
                    cachedInputTokens: event.cachedInputTokens ?? 0,
                  },
                }
              : {}),
            ...(event.costUsd !== undefined ? { costUsd: event.costUsd } : {}),
            durationMs: event.durationMs,
            ...(content.response !== undefined ? { response: toPlain(content.response) } : {}),
          });
          break;
        case 'tool_retry': {
          const key = `${event.runId}\n${event.callId}`;
          const list = retries.get(key) ?? [];
          list.push({ attempt: event.attempt, delayMs: event.delayMs, error: event.error });
          retries.set(key, list);
          break;
        }
        case 'tool_call': {
          const key = `${event.runId}\n${event.callId}`;
          const error = isRecord(content.error) ? content.error : undefined;
          run.toolCalls.push({
            seq: event.seq,
            ts: event.ts,
            tool: typeof content.tool === 'string' ? content.tool : event.tool,
            callId: event.callId,
            args: toPlain(content.args),
            outcome: event.outcome,
            executed: content.executed === true,
            attempts: event.attempts ?? 0,
            ...('value' in content ? { value: toPlain(content.value) } : {}),
            ...(error ? { error: { code: String(error.code), message: String(error.message) } } : {}),
            ...(typeof content.stop === 'string' ? { stop: content.stop } : {}),
            replayed: content.replayed === true || event.replayed === true,
            fallback: content.fallback === true,
            retries: retries.get(key) ?? [],
            durationMs: event.durationMs,
          });
          retries.delete(key);
          break;
        }
        case 'run_finished':
          run.result = {
            status: event.status,
            ...(event.stopCode !== undefined ? { stopCode: event.stopCode } : {}),
            usage: { ...event.usage },
          };
          break;
      }
    },
    clear() {
      runs.clear();
      retries.clear();
    },
    runs: view.runs,
    run: view.run,
    toJSON: view.toJSON,
  };
}

/**
 * Load a recording saved with `JSON.stringify(recorder)` (the parsed object or the text).
 * Throws `WardenConfigError` when it is not one.
 */
recordRuns.fromJSON = function fromJSON(json: string | RecordingJSON): RunRecording {
  let data: unknown = json;
  if (typeof json === 'string') {
    try {
      data = JSON.parse(json);
    } catch (error) {
      throw new WardenConfigError({ path: 'recordRuns.fromJSON', message: 'not valid JSON', cause: error });
    }
  }
  if (!isRecord(data) || data.format !== FORMAT || data.version !== 1 || !Array.isArray(data.runs)) {
    throw new WardenConfigError({
      path: 'recordRuns.fromJSON',
      message: `expected { format: '${FORMAT}', version: 1, runs: [...] } as written by JSON.stringify(recordRuns())`,
    });
  }
  const runs = new Map<string, RecordedRun>();
  data.runs.forEach((run, i) => {
    if (
      !isRecord(run) ||
      typeof run.runId !== 'string' ||
      !Array.isArray(run.turns) ||
      !Array.isArray(run.toolCalls)
    ) {
      throw new WardenConfigError({
        path: `recordRuns.fromJSON.runs[${i}]`,
        message: 'expected { runId, turns: [...], toolCalls: [...] }',
      });
    }
    runs.set(run.runId, copy({ events: [], ...run } as unknown as RecordedRun));
  });
  return recording(runs);
};

// ---------------------------------------------------------------------------
// Reading recordings

/** A recording, a recorder, or a recording's JSON. */
export type RecordingSource = RunRecording | RecordingJSON;

/** @internal */
export function asRecording(source: RecordingSource, path: string): RunRecording {
  if (isRecord(source) && typeof (source as Partial<RunRecording>).run === 'function') {
    return source as RunRecording;
  }
  if (isRecord(source) && source.format === FORMAT) return recordRuns.fromJSON(source as RecordingJSON);
  throw new WardenConfigError({ path, message: 'expected a recordRuns() recorder, a recording or its JSON' });
}

/** One run of a recording; `runId` may be left out when it holds one run. @internal */
export function findRun(source: RecordingSource, runId: string | undefined, path: string): RecordedRun {
  const rec = asRecording(source, path);
  const ids = rec.runs();
  if (runId === undefined) {
    if (ids.length !== 1) {
      throw new WardenConfigError({
        path: `${path}(runId)`,
        message: `the recording has ${ids.length} runs; name one (${ids.slice(0, 5).join(', ') || 'none'})`,
      });
    }
    return rec.run(ids[0]!)!;
  }
  const run = rec.run(runId);
  if (!run) {
    throw new WardenConfigError({
      path: `${path}(runId)`,
      message: `no run '${runId}' in the recording (it has ${ids.slice(0, 5).join(', ') || 'none'})`,
    });
  }
  return run;
}
