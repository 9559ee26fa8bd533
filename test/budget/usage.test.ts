import { describe, expect, it } from 'vitest';
import { extractResponseInfo, extractUsage, normalizeUsage } from '../../src/budget/usage.js';

/** Deep-freezes a fixture so a test fails if the code under test mutates it. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) frozen(child);
    Object.freeze(value);
  }
  return value;
}

const usage = (partial: Partial<ReturnType<typeof normalizeUsage>>) => ({
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteInputTokens: 0,
  reasoningTokens: 0,
  ...partial,
});

describe('OpenAI Chat Completions', () => {
  const completion = frozen({
    id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
    object: 'chat.completion',
    created: 1741570283,
    model: 'gpt-4.1-2025-04-14',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'The capital of France is Paris.',
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: 'stop',
      },
      {
        index: 1,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_abc', type: 'function', function: { name: 'search_docs', arguments: '{"q":"x"}' } },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 128,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_fc9f1d7035',
  });

  it('reads prompt tokens (cached included), cached and reasoning tokens', () => {
    expect(extractUsage(completion)).toEqual({
      shape: 'openai.chat_completions',
      usage: usage({ inputTokens: 2006, outputTokens: 300, cachedInputTokens: 1920, reasoningTokens: 128 }),
    });
  });

  it('reads the model, id and one finish reason per choice', () => {
    expect(extractResponseInfo(completion)).toEqual({
      responseModel: 'gpt-4.1-2025-04-14',
      responseId: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      finishReasons: ['stop', 'tool_calls'],
    });
  });

  it('reads a response without the details objects', () => {
    const plain = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    };
    expect(extractUsage(plain)?.usage).toEqual(usage({ inputTokens: 12, outputTokens: 3 }));
  });

  it('reads the final streaming chunk that carries usage', () => {
    const chunk = frozen({
      id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      object: 'chat.completion.chunk',
      created: 1741570283,
      model: 'gpt-4.1-2025-04-14',
      system_fingerprint: 'fp_fc9f1d7035',
      choices: [],
      usage: {
        prompt_tokens: 40,
        completion_tokens: 9,
        total_tokens: 49,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
    expect(extractUsage(chunk)).toEqual({
      shape: 'openai.chat_completions',
      usage: usage({ inputTokens: 40, outputTokens: 9 }),
    });
    expect(extractResponseInfo(chunk)).toEqual({
      responseModel: 'gpt-4.1-2025-04-14',
      responseId: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
    });
  });

  it('returns null for an intermediate chunk (usage: null) but still reads its finish reason', () => {
    const chunk = {
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      model: 'gpt-4.1',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      usage: null,
    };
    expect(extractUsage(chunk)).toBeNull();
    expect(extractResponseInfo(chunk).finishReasons).toEqual(['stop']);
  });

  it('recognises an OpenAI-compatible response by its usage keys alone', () => {
    const compatible = {
      id: 'gen-1',
      model: 'llama-3.3-70b',
      usage: { prompt_tokens: 5, completion_tokens: 7 },
    };
    expect(extractUsage(compatible)?.shape).toBe('openai.chat_completions');
  });
});

describe('OpenAI Responses', () => {
  const response = frozen({
    id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
    object: 'response',
    created_at: 1741476542,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: 'o4-mini-2025-04-16',
    output: [
      { type: 'reasoning', id: 'rs_1', summary: [] },
      {
        type: 'message',
        id: 'msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'In a peaceful grove...', annotations: [] }],
      },
    ],
    parallel_tool_calls: true,
    usage: {
      input_tokens: 3618,
      input_tokens_details: { cached_tokens: 3456 },
      output_tokens: 1101,
      output_tokens_details: { reasoning_tokens: 960 },
      total_tokens: 4719,
    },
  });

  it('reads input tokens (cached included), cached and reasoning tokens', () => {
    expect(extractUsage(response)).toEqual({
      shape: 'openai.responses',
      usage: usage({ inputTokens: 3618, outputTokens: 1101, cachedInputTokens: 3456, reasoningTokens: 960 }),
    });
  });

  it('uses the status as the finish reason', () => {
    expect(extractResponseInfo(response)).toEqual({
      responseModel: 'o4-mini-2025-04-16',
      responseId: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
      finishReasons: ['completed'],
    });
  });

  it('uses incomplete_details.reason when the response is incomplete', () => {
    const incomplete = {
      ...response,
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    };
    expect(extractResponseInfo(incomplete).finishReasons).toEqual(['max_output_tokens']);
  });
});

describe('Anthropic Messages', () => {
  const message = frozen({
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'Hello!' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 21,
      cache_creation_input_tokens: 188,
      cache_read_input_tokens: 1800,
      cache_creation: { ephemeral_5m_input_tokens: 188, ephemeral_1h_input_tokens: 0 },
      output_tokens: 393,
      service_tier: 'standard',
    },
  });

  it('adds cache reads and writes to input_tokens, which excludes them', () => {
    expect(extractUsage(message)).toEqual({
      shape: 'anthropic.messages',
      usage: usage({
        inputTokens: 21 + 1800 + 188,
        outputTokens: 393,
        cachedInputTokens: 1800,
        cacheWriteInputTokens: 188,
      }),
    });
  });

  it('reads the model, id and stop reason', () => {
    expect(extractResponseInfo(message)).toEqual({
      responseModel: 'claude-sonnet-4-5-20250929',
      responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      finishReasons: ['end_turn'],
    });
  });

  it('treats null cache counts as 0', () => {
    const noCache = {
      ...message,
      usage: {
        input_tokens: 10,
        output_tokens: 2,
        cache_read_input_tokens: null,
        cache_creation_input_tokens: null,
      },
    };
    expect(extractUsage(noCache)?.usage).toEqual(usage({ inputTokens: 10, outputTokens: 2 }));
  });

  it('is told from a Responses usage by its cache keys when `type` is missing', () => {
    const { type: _type, ...withoutType } = message;
    expect(extractUsage(withoutType)?.shape).toBe('anthropic.messages');
    expect(extractUsage(withoutType)?.usage.inputTokens).toBe(2009);
  });
});

describe('AI SDK generateText / streamText parts', () => {
  const v5Result = frozen({
    text: 'It is sunny.',
    finishReason: 'stop',
    usage: {
      inputTokens: 300,
      outputTokens: 40,
      totalTokens: 340,
      reasoningTokens: 12,
      cachedInputTokens: 256,
    },
    totalUsage: {
      inputTokens: 1200,
      outputTokens: 95,
      totalTokens: 1295,
      reasoningTokens: 30,
      cachedInputTokens: 1024,
    },
    steps: [{}, {}],
    response: { id: 'aitxt-7xPkTf0uX1bQzJcL', modelId: 'gpt-5-mini-2025-08-07', timestamp: new Date(0) },
    warnings: [],
  });

  it('prefers totalUsage (every step) over usage (last step only)', () => {
    expect(extractUsage(v5Result)).toEqual({
      shape: 'ai_sdk',
      usage: usage({ inputTokens: 1200, outputTokens: 95, cachedInputTokens: 1024, reasoningTokens: 30 }),
    });
  });

  it('falls back to usage without totalUsage', () => {
    const { totalUsage: _total, ...single } = v5Result;
    expect(extractUsage(single)?.usage).toEqual(
      usage({ inputTokens: 300, outputTokens: 40, cachedInputTokens: 256, reasoningTokens: 12 }),
    );
  });

  it('reads response.modelId, response.id and a string finishReason', () => {
    expect(extractResponseInfo(v5Result)).toEqual({
      responseModel: 'gpt-5-mini-2025-08-07',
      responseId: 'aitxt-7xPkTf0uX1bQzJcL',
      finishReasons: ['stop'],
    });
  });

  const v7Usage = {
    inputTokens: 2300,
    inputTokenDetails: { noCacheTokens: 200, cacheReadTokens: 2000, cacheWriteTokens: 100 },
    outputTokens: 510,
    outputTokenDetails: { textTokens: 110, reasoningTokens: 400 },
    totalTokens: 2810,
    reasoningTokens: 400,
    cachedInputTokens: 2000,
  };
  const v7Result = frozen({
    text: 'Done.',
    finishReason: { unified: 'tool-calls', raw: 'tool_use' },
    usage: v7Usage,
    totalUsage: v7Usage,
    response: { id: 'msg_01Aq9w938a90dw8q', modelId: 'claude-opus-4-1-20250805', timestamp: new Date(0) },
  });

  it('reads the v6/v7 detail objects, including cache writes', () => {
    expect(extractUsage(v7Result)).toEqual({
      shape: 'ai_sdk',
      usage: usage({
        inputTokens: 2300,
        outputTokens: 510,
        cachedInputTokens: 2000,
        cacheWriteInputTokens: 100,
        reasoningTokens: 400,
      }),
    });
  });

  it('prefers the detail objects over the deprecated flat fields', () => {
    const result = {
      totalUsage: {
        inputTokens: 50,
        outputTokens: 5,
        cachedInputTokens: 1,
        inputTokenDetails: { cacheReadTokens: 20, cacheWriteTokens: undefined },
        outputTokenDetails: { reasoningTokens: 3 },
      },
    };
    expect(extractUsage(result)?.usage).toEqual(
      usage({ inputTokens: 50, outputTokens: 5, cachedInputTokens: 20, reasoningTokens: 3 }),
    );
  });

  it('reads a { unified, raw } finishReason as the unified reason', () => {
    expect(extractResponseInfo(v7Result)).toEqual({
      responseModel: 'claude-opus-4-1-20250805',
      responseId: 'msg_01Aq9w938a90dw8q',
      finishReasons: ['tool-calls'],
    });
  });

  it('reads a fullStream finish part ({ type: finish, totalUsage })', () => {
    const part = { type: 'finish', finishReason: 'stop', totalUsage: { inputTokens: 9, outputTokens: 4 } };
    expect(extractUsage(part)).toEqual({
      shape: 'ai_sdk',
      usage: usage({ inputTokens: 9, outputTokens: 4 }),
    });
    expect(extractResponseInfo(part)).toEqual({ finishReasons: ['stop'] });
  });

  it('returns null when the provider reported no counts (undefined)', () => {
    const unknown = { usage: { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined } };
    expect(extractUsage({ ...unknown, totalUsage: unknown.usage })).toBeNull();
  });

  it('returns null for a streamText result, whose usage is a promise, without an unhandled rejection', async () => {
    // Like the AI SDK's DelayedPromise: created (already rejected) on first read, then cached.
    let cached: Promise<never> | undefined;
    const lazy = () => {
      cached ??= Promise.reject(new Error('stream failed'));
      return cached;
    };
    const streamResult = {
      get usage() {
        return lazy();
      },
      get totalUsage() {
        return lazy();
      },
      get response() {
        return lazy();
      },
      get finishReason() {
        return lazy();
      },
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      expect(extractUsage(streamResult)).toBeNull();
      expect(extractResponseInfo(streamResult)).toEqual({});
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('AI SDK provider level (LanguageModelV3 / V4)', () => {
  const doGenerateResult = frozen({
    content: [{ type: 'text', text: 'Hi' }],
    finishReason: { unified: 'stop', raw: 'end_turn' },
    usage: {
      inputTokens: { total: 1530, noCache: 30, cacheRead: 1400, cacheWrite: 100 },
      outputTokens: { total: 260, text: 60, reasoning: 200 },
    },
    providerMetadata: { anthropic: {} },
    request: { body: {} },
    response: {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      modelId: 'claude-sonnet-4-5-20250929',
      timestamp: new Date(0),
    },
    warnings: [],
  });

  it('reads the nested totals and details', () => {
    expect(extractUsage(doGenerateResult)).toEqual({
      shape: 'ai_sdk.provider',
      usage: usage({
        inputTokens: 1530,
        outputTokens: 260,
        cachedInputTokens: 1400,
        cacheWriteInputTokens: 100,
        reasoningTokens: 200,
      }),
    });
  });

  it('reads response info like the high-level result', () => {
    expect(extractResponseInfo(doGenerateResult)).toEqual({
      responseModel: 'claude-sonnet-4-5-20250929',
      responseId: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      finishReasons: ['stop'],
    });
  });

  it('reads a stream finish part, summing the parts when the totals are missing', () => {
    const finish = {
      type: 'finish',
      finishReason: { unified: 'length', raw: 'max_tokens' },
      usage: {
        inputTokens: { total: undefined, noCache: 10, cacheRead: 5, cacheWrite: undefined },
        outputTokens: { total: undefined, text: 7, reasoning: 3 },
      },
    };
    expect(extractUsage(finish)).toEqual({
      shape: 'ai_sdk.provider',
      usage: usage({ inputTokens: 15, outputTokens: 10, cachedInputTokens: 5, reasoningTokens: 3 }),
    });
    expect(extractResponseInfo(finish)).toEqual({ finishReasons: ['length'] });
  });

  it('returns null when neither totals nor parts are known', () => {
    const finish = {
      type: 'finish',
      usage: {
        inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: undefined, text: undefined, reasoning: undefined },
      },
    };
    expect(extractUsage(finish)).toBeNull();
  });
});

describe('LangChain', () => {
  const aiMessage = frozen({
    lc: 1,
    id: 'chatcmpl-BPx4mbq3pQ0rR2FZbkNiA8Z7hlY0k',
    content: 'Paris.',
    tool_calls: [],
    invalid_tool_calls: [],
    additional_kwargs: {},
    response_metadata: {
      tokenUsage: { promptTokens: 1500, completionTokens: 90, totalTokens: 1590 },
      finish_reason: 'stop',
      model_name: 'gpt-4o-2024-08-06',
      system_fingerprint: 'fp_1',
    },
    usage_metadata: {
      input_tokens: 1500,
      output_tokens: 90,
      total_tokens: 1590,
      input_token_details: { audio: 0, cache_read: 1280 },
      output_token_details: { audio: 0, reasoning: 64 },
    },
  });

  it('reads usage_metadata of an AIMessage (input includes cache)', () => {
    expect(extractUsage(aiMessage)).toEqual({
      shape: 'langchain',
      usage: usage({ inputTokens: 1500, outputTokens: 90, cachedInputTokens: 1280, reasoningTokens: 64 }),
    });
  });

  it('reads response_metadata.model_name, the message id and finish_reason', () => {
    expect(extractResponseInfo(aiMessage)).toEqual({
      responseModel: 'gpt-4o-2024-08-06',
      responseId: 'chatcmpl-BPx4mbq3pQ0rR2FZbkNiA8Z7hlY0k',
      finishReasons: ['stop'],
    });
  });

  const anthropicChunk = frozen({
    id: 'msg_01HkGq2aV7xYzL9y',
    content: 'Hi',
    response_metadata: { model: 'claude-3-7-sonnet-20250219', stop_reason: 'end_turn', usage: {} },
    usage_metadata: {
      input_tokens: 2150,
      output_tokens: 12,
      total_tokens: 2162,
      input_token_details: { cache_read: 2000, cache_creation: 100 },
    },
  });

  it('reads an Anthropic AIMessageChunk with cache writes and response_metadata.model', () => {
    expect(extractUsage(anthropicChunk)?.usage).toEqual(
      usage({ inputTokens: 2150, outputTokens: 12, cachedInputTokens: 2000, cacheWriteInputTokens: 100 }),
    );
    expect(extractResponseInfo(anthropicChunk)).toEqual({
      responseModel: 'claude-3-7-sonnet-20250219',
      responseId: 'msg_01HkGq2aV7xYzL9y',
      finishReasons: ['end_turn'],
    });
  });

  it('reads an LLMResult from llmOutput.tokenUsage', () => {
    const llmResult = frozen({
      generations: [[{ text: 'Paris.', message: aiMessage, generationInfo: { finish_reason: 'stop' } }]],
      llmOutput: { tokenUsage: { promptTokens: 1500, completionTokens: 90, totalTokens: 1590 } },
    });
    expect(extractUsage(llmResult)).toEqual({
      shape: 'langchain',
      usage: usage({ inputTokens: 1500, outputTokens: 90 }),
    });
    expect(extractResponseInfo(llmResult)).toEqual({
      responseModel: 'gpt-4o-2024-08-06',
      responseId: 'chatcmpl-BPx4mbq3pQ0rR2FZbkNiA8Z7hlY0k',
      finishReasons: ['stop'],
    });
  });

  it('sums usage_metadata over the generations when llmOutput is absent', () => {
    const llmResult = frozen({
      generations: [
        [{ text: 'Paris.', message: aiMessage }],
        [{ text: 'Hi', message: anthropicChunk, generationInfo: {} }],
      ],
    });
    expect(extractUsage(llmResult)).toEqual({
      shape: 'langchain',
      usage: usage({
        inputTokens: 3650,
        outputTokens: 102,
        cachedInputTokens: 3280,
        cacheWriteInputTokens: 100,
        reasoningTokens: 64,
      }),
    });
    expect(extractResponseInfo(llmResult).finishReasons).toEqual(['stop', 'end_turn']);
  });

  it('returns null for an LLMResult whose generations lack usage', () => {
    expect(extractUsage({ generations: [[{ text: 'x', message: { content: 'x' } }]] })).toBeNull();
    expect(extractUsage({ generations: [] })).toBeNull();
  });
});

describe('already normalised usage', () => {
  it('reads a top-level usage object and drops unknown fields', () => {
    const given = frozen({ inputTokens: 100, outputTokens: 20, cachedInputTokens: 50, extra: 'ignored' });
    expect(extractUsage(given)).toEqual({
      shape: 'normalized',
      usage: usage({ inputTokens: 100, outputTokens: 20, cachedInputTokens: 50 }),
    });
  });

  it('reads an awaited AI SDK usage object (e.g. streamText totalUsage)', () => {
    const awaited = {
      inputTokens: 80,
      inputTokenDetails: { noCacheTokens: 30, cacheReadTokens: 40, cacheWriteTokens: 10 },
      outputTokens: 9,
      outputTokenDetails: { textTokens: 9, reasoningTokens: 0 },
      totalTokens: 89,
    };
    expect(extractUsage(awaited)).toEqual({
      shape: 'normalized',
      usage: usage({ inputTokens: 80, outputTokens: 9, cachedInputTokens: 40, cacheWriteInputTokens: 10 }),
    });
  });

  it('reads ResponseInfo fields given alongside', () => {
    const given = {
      inputTokens: 1,
      outputTokens: 1,
      responseModel: 'm',
      responseId: 'r',
      finishReasons: ['stop'],
    };
    expect(extractResponseInfo(given)).toEqual({
      responseModel: 'm',
      responseId: 'r',
      finishReasons: ['stop'],
    });
  });

  it('does not take an AI SDK result for a normalised usage', () => {
    expect(extractUsage({ usage: { inputTokens: 1, outputTokens: 2 } })?.shape).toBe('ai_sdk');
  });
});

describe('garbage', () => {
  const throwing = Object.defineProperty({}, 'usage', {
    enumerable: true,
    get() {
      throw new Error('boom');
    },
  });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      has() {
        throw new Error('trap');
      },
    },
  );

  const cases: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'x'],
    ['an array', [{ usage: { prompt_tokens: 1, completion_tokens: 1 } }]],
    ['an empty object', {}],
    ['usage: null', { usage: null }],
    ['usage: {}', { usage: {} }],
    ['a string count', { usage: { prompt_tokens: 'ten', completion_tokens: 2 } }],
    ['a missing count', { object: 'chat.completion', usage: { prompt_tokens: 10 } }],
    ['a negative count', { usage: { prompt_tokens: -1, completion_tokens: 2 } }],
    ['a NaN count', { usage: { input_tokens: Number.NaN, output_tokens: 2 } }],
    ['an infinite count', { inputTokens: Number.POSITIVE_INFINITY, outputTokens: 2 }],
    ['a negative normalised count', { inputTokens: -5, outputTokens: 2 }],
    [
      'a negative cache count',
      { type: 'message', usage: { input_tokens: 1, output_tokens: 1, cache_read_input_tokens: -3 } },
    ],
    [
      'a string cached_tokens',
      { usage: { prompt_tokens: 1, completion_tokens: 1, prompt_tokens_details: { cached_tokens: '1' } } },
    ],
    ['a bigint count', { usage: { prompt_tokens: 10n, completion_tokens: 2n } }],
    ['a throwing getter', throwing],
    ['a revoked proxy', revoked],
    ['a proxy whose traps throw', hostile],
  ];

  it.each(cases)('extractUsage returns null for %s', (_name, value) => {
    expect(extractUsage(value)).toBeNull();
  });

  it.each(cases)('extractResponseInfo does not throw for %s', (_name, value) => {
    expect(() => extractResponseInfo(value)).not.toThrow();
  });

  it('extractResponseInfo ignores non-string and empty fields', () => {
    expect(
      extractResponseInfo({ type: 'message', id: 42, model: '', stop_reason: null, usage: null }),
    ).toEqual({});
  });
});

describe('normalizeUsage', () => {
  it('fills missing optional counts with 0 and keeps fractions', () => {
    expect(normalizeUsage({ inputTokens: 10.5, outputTokens: 0 })).toEqual(usage({ inputTokens: 10.5 }));
  });

  it('returns a fresh object with only the usage fields', () => {
    const given = { inputTokens: 1, outputTokens: 2, reasoningTokens: 1, extra: true };
    const result = normalizeUsage(given);
    expect(result).toEqual(usage({ inputTokens: 1, outputTokens: 2, reasoningTokens: 1 }));
    expect(result).not.toBe(given);
  });

  it.each([
    ['inputTokens', { inputTokens: -1, outputTokens: 0 }],
    ['inputTokens', { inputTokens: Number.NaN, outputTokens: 0 }],
    ['outputTokens', { inputTokens: 0, outputTokens: Number.POSITIVE_INFINITY }],
    ['outputTokens', { inputTokens: 0 }],
    ['cachedInputTokens', { inputTokens: 0, outputTokens: 0, cachedInputTokens: '5' }],
    ['cacheWriteInputTokens', { inputTokens: 0, outputTokens: 0, cacheWriteInputTokens: -2 }],
    ['reasoningTokens', { inputTokens: 0, outputTokens: 0, reasoningTokens: Number.NaN }],
  ])('throws a TypeError naming %s', (field, given) => {
    expect(() => normalizeUsage(given as never)).toThrow(TypeError);
    expect(() => normalizeUsage(given as never)).toThrow(new RegExp(`^${field}:`));
  });

  it('throws a TypeError for a non-object', () => {
    expect(() => normalizeUsage(null as never)).toThrow(TypeError);
  });
});
