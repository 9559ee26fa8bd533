import { checkTurn, type ScriptedResponse, type ScriptedTurn, usageOf, withIds } from './scripted-model.js';

/** A tool call in a Chat Completions message. */
export interface OpenAIChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** An OpenAI Chat Completions response (`client.chat.completions.create()`), as the API returns it. */
export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: string | null;
      annotations: [];
      tool_calls?: OpenAIChatToolCall[];
    };
    logprobs: null;
    finish_reason: 'stop' | 'tool_calls';
  }>;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
    completion_tokens_details: {
      reasoning_tokens: number;
      audio_tokens: number;
      accepted_prediction_tokens: number;
      rejected_prediction_tokens: number;
    };
  };
  service_tier: 'default';
  system_fingerprint: string;
}

/** An output item of an OpenAI Responses response. */
export type OpenAIResponseOutputItem =
  | {
      type: 'message';
      id: string;
      status: 'completed';
      role: 'assistant';
      content: Array<{ type: 'output_text'; text: string; annotations: []; logprobs: [] }>;
    }
  | {
      type: 'function_call';
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: 'completed';
    };

/** An OpenAI Responses API response (`client.responses.create()`), as the SDK returns it. */
export interface OpenAIResponse {
  id: string;
  object: 'response';
  created_at: number;
  status: 'completed';
  error: null;
  incomplete_details: null;
  instructions: null;
  max_output_tokens: null;
  model: string;
  output: OpenAIResponseOutputItem[];
  /** Added by the OpenAI SDK: the text of every `output_text` part, joined. */
  output_text: string;
  parallel_tool_calls: true;
  previous_response_id: null;
  reasoning: { effort: null; summary: null };
  store: true;
  temperature: number;
  text: { format: { type: 'text' } };
  tool_choice: 'auto';
  tools: [];
  top_p: number;
  truncation: 'disabled';
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  };
  metadata: Record<string, string>;
  access_programs: null;
}

export interface OpenAIShapeOptions {
  /** @default the turn's `model`, else 'gpt-4.1' */
  model?: string;
  /** Response id. @default 'chatcmpl-scripted' / 'resp_scripted' (with `-<turn>` for a `next()` response) */
  id?: string;
  /** Unix seconds. @default 1767225600 (2026-01-01, the manual clock's default start) */
  created?: number;
}

const DEFAULT_CREATED = 1_767_225_600;

function argumentsText(args: unknown): string {
  if (typeof args === 'string') return args;
  return JSON.stringify(args ?? {});
}

function turnNumber(turn: ScriptedTurn): number | undefined {
  const n = (turn as Partial<ScriptedResponse>).turn;
  return typeof n === 'number' ? n : undefined;
}

function checked(turn: ScriptedTurn, fn: string): ScriptedTurn & { turnNumber: number | undefined } {
  // A `next()` response is a turn too: read only the turn fields.
  const t = turn as ScriptedTurn & Partial<ScriptedResponse>;
  const plain: ScriptedTurn = {
    ...(t.toolCalls !== undefined ? { toolCalls: t.toolCalls.map((c) => ({ ...c })) } : {}),
    ...(t.text !== undefined ? { text: t.text } : {}),
    ...(t.usage !== undefined ? { usage: { ...t.usage } } : {}),
    ...(t.model !== undefined ? { model: t.model } : t.responseModel ? { model: t.responseModel } : {}),
  };
  return { ...checkTurn(plain, `${fn}(turn)`), turnNumber: turnNumber(turn) };
}

/**
 * A scripted turn shaped exactly like an OpenAI Chat Completions response, so code written for
 * the OpenAI client (and `run.model`'s usage detection) reads it as the real thing. Arguments are
 * sent as JSON strings, as the API does.
 * @example run.model(spec, async () => asOpenAIChatCompletion(model.next()))
 */
export function asOpenAIChatCompletion(
  turn: ScriptedTurn,
  options: OpenAIShapeOptions = {},
): OpenAIChatCompletion {
  const t = checked(turn, 'asOpenAIChatCompletion');
  const suffix = t.turnNumber === undefined ? '' : `-${t.turnNumber}`;
  const usage = usageOf(t);
  const toolCalls = withIds(t, t.turnNumber ?? 1).map(
    (call): OpenAIChatToolCall => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: argumentsText(call.args) },
    }),
  );
  return {
    id: options.id ?? `chatcmpl-scripted${suffix}`,
    object: 'chat.completion',
    created: options.created ?? DEFAULT_CREATED,
    model: options.model ?? t.model ?? 'gpt-4.1',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: t.text ?? null,
          refusal: null,
          annotations: [],
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: usage.inputTokens,
      completion_tokens: usage.outputTokens,
      total_tokens: usage.inputTokens + usage.outputTokens,
      prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_scripted',
  };
}

/**
 * A scripted turn shaped exactly like an OpenAI Responses API response (`output` items of type
 * `message` and `function_call`, `output_text`, `usage`), as the OpenAI SDK returns it.
 * @example run.model(spec, async () => asOpenAIResponse(model.next()))
 */
export function asOpenAIResponse(turn: ScriptedTurn, options: OpenAIShapeOptions = {}): OpenAIResponse {
  const t = checked(turn, 'asOpenAIResponse');
  const suffix = t.turnNumber === undefined ? '' : `_${t.turnNumber}`;
  const usage = usageOf(t);
  const output: OpenAIResponseOutputItem[] = [];
  if (t.text !== undefined) {
    output.push({
      type: 'message',
      id: `msg_scripted${suffix}`,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: t.text, annotations: [], logprobs: [] }],
    });
  }
  withIds(t, t.turnNumber ?? 1).forEach((call, i) => {
    output.push({
      type: 'function_call',
      id: `fc_scripted${suffix}_${i}`,
      call_id: call.id,
      name: call.name,
      arguments: argumentsText(call.args),
      status: 'completed',
    });
  });
  return {
    id: options.id ?? `resp_scripted${suffix}`,
    object: 'response',
    created_at: options.created ?? DEFAULT_CREATED,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: options.model ?? t.model ?? 'gpt-4.1',
    output,
    output_text: t.text ?? '',
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: usage.cachedInputTokens, cache_write_tokens: 0 },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.inputTokens + usage.outputTokens,
    },
    metadata: {},
    access_programs: null,
  };
}
