import { extractUsage } from '../budget/usage.js';
import { WardenConfigError } from '../errors.js';
import type { RunOptions } from '../run/types.js';
import { type MockResult, mockTools, permanentError, type ToolMocks, transientError } from './mocks.js';
import {
  findRun,
  isRecord,
  type RecordedModelCall,
  type RecordedRun,
  type RecordedToolCall,
  type RecordingSource,
} from './record-runs.js';
import {
  type ScriptedModel,
  type ScriptedToolCall,
  type ScriptedTurn,
  scriptedModel,
} from './scripted-model.js';

/** Usage as a turn needs it. */
function turnUsage(call: RecordedModelCall): ScriptedTurn['usage'] {
  const usage = call.usage ?? extractUsage(call.response)?.usage;
  if (!usage) return undefined;
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens,
  };
}

/** A model response (neutral scripted, OpenAI Chat Completions or OpenAI Responses) as a turn, or null. */
export function responseToTurn(response: unknown): Omit<ScriptedTurn, 'usage' | 'model'> | null {
  if (!isRecord(response)) return null;
  // OpenAI Chat Completions
  if (response.object === 'chat.completion' || Array.isArray(response.choices)) {
    const choices = Array.isArray(response.choices) ? response.choices : [];
    const message = isRecord(choices[0]) && isRecord(choices[0].message) ? choices[0].message : {};
    const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
    const toolCalls: ScriptedToolCall[] = calls.filter(isRecord).map((call) => {
      const fn = isRecord(call.function) ? call.function : {};
      return {
        name: String(fn.name),
        args: fn.arguments,
        ...(typeof call.id === 'string' ? { id: call.id } : {}),
      };
    });
    return {
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(typeof message.content === 'string' ? { text: message.content } : {}),
    };
  }
  // OpenAI Responses
  if (response.object === 'response' || (Array.isArray(response.output) && !('toolCalls' in response))) {
    const output = Array.isArray(response.output) ? response.output.filter(isRecord) : [];
    const toolCalls: ScriptedToolCall[] = output
      .filter((item) => item.type === 'function_call')
      .map((item) => ({
        name: String(item.name),
        args: item.arguments,
        ...(typeof item.call_id === 'string' ? { id: item.call_id } : {}),
      }));
    const texts = output
      .filter((item) => item.type === 'message' && Array.isArray(item.content))
      .flatMap((item) => (item.content as unknown[]).filter(isRecord))
      .filter((part) => part.type === 'output_text' && typeof part.text === 'string')
      .map((part) => part.text as string);
    return {
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(texts.length > 0 ? { text: texts.join('') } : {}),
    };
  }
  // A scripted (provider-neutral) turn or `next()` response
  if (Array.isArray(response.toolCalls) || typeof response.text === 'string') {
    const calls = Array.isArray(response.toolCalls) ? response.toolCalls.filter(isRecord) : [];
    const toolCalls: ScriptedToolCall[] = calls.map((call) => ({
      name: String(call.name),
      args: call.args,
      ...(typeof call.id === 'string' ? { id: call.id } : {}),
    }));
    return {
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(typeof response.text === 'string' ? { text: response.text } : {}),
    };
  }
  return null;
}

/** The recorded model calls that returned a response, as scripted turns. */
function turnsOf(run: RecordedRun): ScriptedTurn[] {
  const turns: ScriptedTurn[] = [];
  run.turns.forEach((call, i) => {
    if (call.response === undefined) {
      if (call.outcome === 'ok') {
        throw new WardenConfigError({
          path: `replayRun.turns[${i}]`,
          message:
            'this model call has no recorded response (recorded without content, or reported with ' +
            'run.recordUsage), so it cannot be replayed',
        });
      }
      return; // a failed call returned nothing the loop could act on
    }
    const turn = responseToTurn(call.response);
    if (!turn) {
      throw new WardenConfigError({
        path: `replayRun.turns[${i}]`,
        message:
          'cannot read tool calls and text from this response; supported: scripted turns, ' +
          'OpenAI Chat Completions and OpenAI Responses',
      });
    }
    const usage = turnUsage(call);
    turns.push({ ...turn, ...(usage ? { usage } : {}), model: call.model });
  });
  return turns;
}

const TRANSIENT_SUFFIX = ' (a temporary failure; you may try again later)';
const TIMEOUT_MESSAGE = /^tool attempt timed out after \d+ ms$/;

/** The error `execute` threw, from the outcome message `<tool> failed: <message>[ (a temporary failure...)]`. */
function errorFromOutcome(tool: string, message: string): { message: string; transient: boolean } {
  const transient = message.endsWith(TRANSIENT_SUFFIX);
  let text = transient ? message.slice(0, -TRANSIENT_SUFFIX.length) : message;
  const prefix = `${tool} failed: `;
  if (text.startsWith(prefix)) text = text.slice(prefix.length);
  return { message: text, transient };
}

/** What each attempt that reached `execute` did, in order. */
function attemptsOf(call: RecordedToolCall): MockResult[] {
  if (!call.executed || call.attempts === 0) return [];
  const failed: MockResult[] = call.retries.map((retry) =>
    TIMEOUT_MESSAGE.test(retry.error) ? { hangs: true } : { throws: transientError(503, retry.error) },
  );
  // A value from the breaker's fallback, or a retry the breaker refused: the last attempt never ran.
  if (call.fallback || call.outcome === 'circuit_open')
    return failed.slice(0, Math.max(0, call.attempts - 1));
  const last = ((): MockResult | undefined => {
    if (call.outcome === 'ok') return { returns: call.value };
    if (call.outcome === 'tool_timeout') return { hangs: true };
    if (call.outcome === 'invalid_output') return { malformed: true };
    if (call.outcome === 'tool_error' && call.error) {
      const { message, transient } = errorFromOutcome(call.tool, call.error.message);
      return { throws: transient ? transientError(503, message) : permanentError(message) };
    }
    // The run stopped during the call (a kill, an abort, the time budget): wait for that.
    if (call.stop !== undefined) return { hangs: true };
    return undefined;
  })();
  const all = last ? [...failed, last] : failed;
  return all.slice(0, call.attempts);
}

/** A recorded run rebuilt for a deterministic replay. */
export interface ReplayedRun {
  /** Plays the recorded model responses, in order. */
  model: ScriptedModel;
  /** A mock per tool whose `execute` was reached: the recorded results, one per attempt. */
  tools: ToolMocks;
  /** Who the recorded run acted for: pass it to `runScriptedAgent`. */
  runOptions: RunOptions;
  /** The recorded run. */
  recorded: RecordedRun;
}

/**
 * Rebuild a recorded run as a scripted model and tool mocks, to replay it deterministically:
 * `runScriptedAgent(warden.withTools(replay.tools), replay.model, replay.runOptions)`, then
 * `diffRuns` against the recording.
 *
 * Turns come from the recorded responses (scripted turns, OpenAI Chat Completions or OpenAI
 * Responses), with the recorded usage and model. Each tool that reached `execute` gets the
 * sequence of what its attempts did: a value (`returns`), an error (`throws`, transient when it
 * was retried or reported as temporary, with the recorded message), a timeout (`hangs`) or a
 * result that broke the output schema (`malformed`). Calls the guards refused consume nothing.
 * `runId` may be left out when the recording holds one run.
 */
export function replayRun(recording: RecordingSource, runId?: string): ReplayedRun {
  const run = findRun(recording, runId, 'replayRun');
  const turns = turnsOf(run);
  const first = run.turns.find((t) => t.response !== undefined);
  const model = scriptedModel(turns, {
    ...(first ? { model: first.model } : {}),
    ...(first?.provider ? { provider: first.provider } : {}),
  });
  const sequences: Record<string, MockResult[]> = {};
  for (const call of run.toolCalls) {
    const attempts = attemptsOf(call);
    if (attempts.length === 0) continue;
    const list = sequences[call.tool] ?? [];
    list.push(...attempts);
    sequences[call.tool] = list;
  }
  return {
    model,
    tools: mockTools(sequences),
    runOptions: {
      ...(run.userId !== undefined ? { userId: run.userId } : {}),
      ...(run.tenantId !== undefined ? { tenantId: run.tenantId } : {}),
      ...(run.sessionId !== undefined ? { sessionId: run.sessionId } : {}),
    },
    recorded: run,
  };
}
