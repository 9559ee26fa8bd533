import { WardenConfigError, WardenError } from '../errors.js';
import type { ModelSpec } from '../run/types.js';

/** A tool call the scripted model makes. */
export interface ScriptedToolCall {
  name: string;
  /** An object, or a JSON string as providers send it (`run.tool` accepts both). */
  args: unknown;
  /** The provider's call id. @default `call_<turn>_<index>` (1-based turn, 0-based index) */
  id?: string;
}

/** Token usage of one scripted turn. */
export interface ScriptedUsage {
  inputTokens: number;
  outputTokens: number;
  /** Included in `inputTokens`. @default 0 */
  cachedInputTokens?: number;
}

/**
 * One provider-neutral model turn: tool calls to make, or final text (or both; a turn with tool
 * calls is not final).
 */
export interface ScriptedTurn {
  toolCalls?: readonly ScriptedToolCall[];
  text?: string;
  /** @default { inputTokens: 0, outputTokens: 0 } */
  usage?: ScriptedUsage;
  /** The model that answers this turn (for pricing). @default the scripted model's `model` */
  model?: string;
}

/** A message of the conversation, in a provider-neutral form. */
export type ScriptedMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      toolCalls?: Array<{ id: string; name: string; args: unknown }>;
    }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

/** What the scripted model was asked (`runScriptedAgent` passes the conversation so far). */
export interface ScriptedRequest {
  messages?: ScriptedMessage[];
  [key: string]: unknown;
}

/**
 * What `next()` returns: the turn, with tool call ids filled in and its usage both as `usage`
 * and flat (`inputTokens`, `outputTokens`, `cachedInputTokens`), which `run.model` reads as the
 * provider-neutral `normalized` shape. It is itself a `ScriptedTurn`.
 */
export interface ScriptedResponse {
  /** 1-based number of this turn in the script. */
  readonly turn: number;
  readonly toolCalls: ReadonlyArray<{ name: string; args: unknown; id: string }>;
  readonly text?: string;
  readonly usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  /** Read by the warden for `gen_ai.response.model`. */
  readonly responseModel: string;
  /** Read by the warden for `gen_ai.response.id`. */
  readonly responseId: string;
  /** `tool_calls` for a turn with tool calls, else `stop`. */
  readonly finishReasons: readonly ['tool_calls' | 'stop'];
}

export interface ScriptedModelOptions {
  /** `spec.model` for `run.model` (match it in `pricing` when a cost budget is set). @default 'scripted-model' */
  model?: string;
  /** `spec.provider`. @default 'scripted' */
  provider?: string;
}

/** A model that answers from a script, one turn per call. */
export interface ScriptedModel {
  /** The spec to pass to `run.model` for the next turn (its `model` is the next turn's `model`, if set). */
  readonly spec: ModelSpec;
  /** Every request `next()` was given, oldest first (deep copies, so later changes do not show). */
  readonly calls: readonly ScriptedRequest[];
  /** Turns not yet played. */
  readonly remaining: number;
  /** The script. */
  readonly turns: readonly ScriptedTurn[];
  /** The next turn; throws `UnexpectedModelCall` when the script is exhausted. */
  next(request?: ScriptedRequest): ScriptedResponse;
}

const UNEXPECTED_MARKER = Symbol.for('agent-warden.error.unexpected-model-call');

export interface UnexpectedModelCallOptions {
  /** 1-based number of the call that found the script exhausted. */
  call: number;
  /** How many turns the script has. */
  turns: number;
  /** What the model was asked on that call. */
  request?: ScriptedRequest;
}

/**
 * The agent called the scripted model more often than the script has turns. Thrown by `next()`;
 * `run.model` passes it through, so `warden.run` rejects with it — the test fails loudly.
 */
export class UnexpectedModelCall extends WardenError {
  readonly [UNEXPECTED_MARKER] = true;
  /** 1-based number of the unexpected call. */
  readonly call: number;
  /** How many turns the script has. */
  readonly turns: number;
  /** What the model was asked on that call. */
  readonly request: ScriptedRequest | undefined;

  constructor({ call, turns, request }: UnexpectedModelCallOptions) {
    super({
      code: 'unexpected_model_call',
      message:
        `scriptedModel: model call ${call}, but the script has only ${turns} turn${turns === 1 ? '' : 's'}: ` +
        `the agent asked the model again after the last scripted turn${lastMessage(request)}; ` +
        'add a turn, or find out why the run did not end',
    });
    this.name = 'UnexpectedModelCall';
    this.call = call;
    this.turns = turns;
    this.request = request;
  }

  static override isInstance(error: unknown): error is UnexpectedModelCall {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[UNEXPECTED_MARKER] === true
    );
  }
}

function lastMessage(request: ScriptedRequest | undefined): string {
  const last = request?.messages?.at(-1);
  if (!last) return '';
  const text = typeof last.content === 'string' ? last.content : '';
  return ` (last message: ${last.role}${text ? ` ${JSON.stringify(text.slice(0, 200))}` : ''})`;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Validate a turn; `path` names it in errors. @internal */
export function checkTurn(turn: unknown, path: string): ScriptedTurn {
  const fail = (field: string, message: string): never => {
    throw new WardenConfigError({ path: field ? `${path}.${field}` : path, message });
  };
  if (typeof turn !== 'object' || turn === null || Array.isArray(turn)) {
    fail('', 'expected { toolCalls?: [{ name, args, id? }], text?, usage? }');
  }
  const t = turn as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (!['toolCalls', 'text', 'usage', 'model'].includes(key)) {
      fail(key, 'unknown key; expected toolCalls, text, usage or model');
    }
  }
  if (t.text !== undefined && typeof t.text !== 'string') fail('text', 'expected a string');
  if (t.model !== undefined && (typeof t.model !== 'string' || t.model.length === 0)) {
    fail('model', 'expected a model name');
  }
  if (t.toolCalls !== undefined) {
    if (!Array.isArray(t.toolCalls)) fail('toolCalls', 'expected an array of { name, args, id? }');
    (t.toolCalls as unknown[]).forEach((call, i) => {
      const c = call as Record<string, unknown> | null;
      if (typeof c !== 'object' || c === null) fail(`toolCalls[${i}]`, 'expected { name, args, id? }');
      if (typeof c!.name !== 'string') fail(`toolCalls[${i}].name`, 'expected a string');
      if (c!.id !== undefined && (typeof c!.id !== 'string' || c!.id.length === 0)) {
        fail(`toolCalls[${i}].id`, 'expected a non-empty string');
      }
    });
  }
  if (t.usage !== undefined) {
    const u = t.usage as Record<string, unknown> | null;
    if (typeof u !== 'object' || u === null) fail('usage', 'expected { inputTokens, outputTokens }');
    for (const key of ['inputTokens', 'outputTokens'] as const) {
      if (!isCount(u![key])) fail(`usage.${key}`, 'expected an integer >= 0');
    }
    if (u!.cachedInputTokens !== undefined && !isCount(u!.cachedInputTokens)) {
      fail('usage.cachedInputTokens', 'expected an integer >= 0');
    }
  }
  return t as ScriptedTurn;
}

/** A deep copy for the record; values that cannot be cloned are kept as they are. */
function snapshot<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/** The tool calls of a turn with ids: the given one, else `call_<turn>_<index>`. @internal */
export function withIds(turn: ScriptedTurn, number: number) {
  return (turn.toolCalls ?? []).map((call, i) => ({
    name: call.name,
    args: call.args,
    id: call.id ?? `call_${number}_${i}`,
  }));
}

/** A turn's usage with defaults. @internal */
export function usageOf(turn: ScriptedTurn) {
  return {
    inputTokens: turn.usage?.inputTokens ?? 0,
    outputTokens: turn.usage?.outputTokens ?? 0,
    cachedInputTokens: turn.usage?.cachedInputTokens ?? 0,
  };
}

/**
 * A model that plays a script of provider-neutral turns, one per `next()` call — no network, the
 * same answers every time. Pass `model.spec` to `run.model`, or use `runScriptedAgent`.
 * A turn without `usage` counts as 0 tokens (so token budgets still apply). Throws
 * `WardenConfigError` for a malformed turn; `next()` throws `UnexpectedModelCall` past the end.
 *
 * @example
 * const model = scriptedModel([
 *   { toolCalls: [{ name: 'search_docs', args: { q: 'refund' } }], usage: { inputTokens: 900, outputTokens: 40 } },
 *   { text: 'Refunds take 5 days.', usage: { inputTokens: 1200, outputTokens: 30 } },
 * ]);
 */
export function scriptedModel(
  turns: readonly ScriptedTurn[],
  options: ScriptedModelOptions = {},
): ScriptedModel {
  if (!Array.isArray(turns)) {
    throw new WardenConfigError({ path: 'scriptedModel(turns)', message: 'expected an array of turns' });
  }
  const script = Object.freeze(turns.map((turn, i) => checkTurn(turn, `scriptedModel(turns)[${i}]`)));
  const model = options.model ?? 'scripted-model';
  const provider = options.provider ?? 'scripted';
  if (typeof model !== 'string' || model.length === 0) {
    throw new WardenConfigError({ path: 'scriptedModel(options).model', message: 'expected a model name' });
  }
  if (typeof provider !== 'string' || provider.length === 0) {
    throw new WardenConfigError({ path: 'scriptedModel(options).provider', message: 'expected a string' });
  }
  const calls: ScriptedRequest[] = [];
  let played = 0;
  return {
    get spec(): ModelSpec {
      return { model: script[played]?.model ?? model, provider };
    },
    get calls() {
      return calls;
    },
    get remaining() {
      return script.length - played;
    },
    turns: script,
    next(request) {
      const recorded = snapshot(request ?? {});
      calls.push(recorded);
      const turn = script[played];
      if (!turn)
        throw new UnexpectedModelCall({ call: calls.length, turns: script.length, request: recorded });
      played++;
      const usage = usageOf(turn);
      const toolCalls = withIds(turn, played);
      return Object.freeze({
        turn: played,
        toolCalls,
        ...(turn.text !== undefined ? { text: turn.text } : {}),
        usage,
        ...usage,
        responseModel: turn.model ?? model,
        responseId: `scripted-${played}`,
        finishReasons: [toolCalls.length > 0 ? 'tool_calls' : 'stop'] as const,
      });
    },
  };
}
