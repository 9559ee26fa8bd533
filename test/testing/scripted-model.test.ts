import { createWarden, extractUsage, WardenConfigError, WardenError } from 'agent-warden';
import {
  asOpenAIChatCompletion,
  asOpenAIResponse,
  recordSpans,
  type ScriptedTurn,
  scriptedModel,
  UnexpectedModelCall,
} from 'agent-warden/testing';
import { describe, expect, it } from 'vitest';

const TURNS: ScriptedTurn[] = [
  {
    toolCalls: [
      { name: 'search_docs', args: { q: 'refund' } },
      { name: 'lookup_order', args: '{"orderId":"o1"}', id: 'call_abc' },
    ],
    usage: { inputTokens: 900, outputTokens: 40, cachedInputTokens: 100 },
  },
  { text: 'Refunds take 5 days.', usage: { inputTokens: 1200, outputTokens: 30 } },
];

describe('scriptedModel', () => {
  it('next() plays the turns in order, with ids and normalized usage', () => {
    const model = scriptedModel(TURNS);
    expect(model.remaining).toBe(2);
    const first = model.next();
    expect(first).toMatchObject({
      turn: 1,
      toolCalls: [
        { name: 'search_docs', args: { q: 'refund' }, id: 'call_1_0' },
        { name: 'lookup_order', args: '{"orderId":"o1"}', id: 'call_abc' },
      ],
      usage: { inputTokens: 900, outputTokens: 40, cachedInputTokens: 100 },
      finishReasons: ['tool_calls'],
    });
    expect(extractUsage(first)).toEqual({
      shape: 'normalized',
      usage: {
        inputTokens: 900,
        outputTokens: 40,
        cachedInputTokens: 100,
        cacheWriteInputTokens: 0,
        reasoningTokens: 0,
      },
    });
    expect(model.next()).toMatchObject({
      turn: 2,
      text: 'Refunds take 5 days.',
      toolCalls: [],
      finishReasons: ['stop'],
    });
    expect(model.remaining).toBe(0);
  });

  it('a turn without usage counts as 0 tokens (token budgets still read a usage)', () => {
    const response = scriptedModel([{ text: 'hi' }]).next();
    expect(extractUsage(response)?.usage).toMatchObject({ inputTokens: 0, outputTokens: 0 });
  });

  it('calls records deep copies of what it was asked', () => {
    const model = scriptedModel(TURNS);
    const messages = [{ role: 'user' as const, content: 'hello' }];
    model.next({ messages });
    messages.push({ role: 'user', content: 'changed later' });
    model.next();
    expect(model.calls).toEqual([{ messages: [{ role: 'user', content: 'hello' }] }, {}]);
  });

  it('throws UnexpectedModelCall once the script is exhausted', () => {
    const model = scriptedModel([{ text: 'only turn' }]);
    model.next();
    let error: unknown;
    try {
      model.next({ messages: [{ role: 'tool', toolCallId: 'c1', name: 'x', content: 'result' }] });
    } catch (e) {
      error = e;
    }
    expect(UnexpectedModelCall.isInstance(error)).toBe(true);
    expect(WardenError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(UnexpectedModelCall);
    expect(error).toMatchObject({
      name: 'UnexpectedModelCall',
      code: 'unexpected_model_call',
      call: 2,
      turns: 1,
    });
    expect((error as Error).message).toMatch(
      /model call 2, but the script has only 1 turn.*\(last message: tool "result"\)/,
    );
    // Still recorded, so a test can see what the agent asked.
    expect(model.calls).toHaveLength(2);
    expect(UnexpectedModelCall.isInstance(new Error('x'))).toBe(false);
  });

  it('spec is the model to pass to run.model; a turn may name its own model', () => {
    const model = scriptedModel([{ text: 'a', model: 'gpt-4.1-mini' }, { text: 'b' }], {
      model: 'gpt-4.1',
      provider: 'openai',
    });
    expect(model.spec).toEqual({ model: 'gpt-4.1-mini', provider: 'openai' });
    expect(model.next().responseModel).toBe('gpt-4.1-mini');
    expect(model.spec).toEqual({ model: 'gpt-4.1', provider: 'openai' });
    expect(scriptedModel([]).spec).toEqual({ model: 'scripted-model', provider: 'scripted' });
  });

  it('run.model reads its usage, response model and finish reason', async () => {
    const spans = recordSpans();
    const warden = createWarden({ telemetry: { tracer: spans.tracer } });
    const model = scriptedModel(TURNS);
    const result = await warden.run({}, async (run) => {
      await run.model(model.spec, async () => model.next());
      return run.usage;
    });
    expect(result).toMatchObject({
      output: { steps: 1, inputTokens: 900, outputTokens: 40, cachedInputTokens: 100 },
    });
    const chat = spans.spans().find((s) => s.name === 'chat scripted-model')!;
    expect(chat.attributes).toMatchObject({
      'gen_ai.provider.name': 'scripted',
      'gen_ai.response.model': 'scripted-model',
      'gen_ai.response.id': 'scripted-1',
      'gen_ai.response.finish_reasons': ['tool_calls'],
    });
    await spans.shutdown();
  });

  it('rejects a malformed script, naming the turn and field', () => {
    const bad = (turns: unknown, path: string) => {
      try {
        scriptedModel(turns as ScriptedTurn[]);
      } catch (error) {
        expect(WardenConfigError.isInstance(error)).toBe(true);
        expect((error as WardenConfigError).path).toBe(path);
        return;
      }
      throw new Error(`expected a WardenConfigError at ${path}`);
    };
    bad('nope', 'scriptedModel(turns)');
    bad([null], 'scriptedModel(turns)[0]');
    bad([{ text: 1 }], 'scriptedModel(turns)[0].text');
    bad([{ say: 'hi' }], 'scriptedModel(turns)[0].say');
    bad([{ text: 'a' }, { toolCalls: [{ args: {} }] }], 'scriptedModel(turns)[1].toolCalls[0].name');
    bad([{ usage: { inputTokens: -1, outputTokens: 0 } }], 'scriptedModel(turns)[0].usage.inputTokens');
    bad(
      [{ usage: { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0.5 } }],
      'scriptedModel(turns)[0].usage.cachedInputTokens',
    );
  });
});

describe('OpenAI shapes', () => {
  it('asOpenAIChatCompletion: a Chat Completions response with tool calls as JSON strings', () => {
    const completion = asOpenAIChatCompletion(TURNS[0]!, { model: 'gpt-4.1' });
    expect(completion).toEqual({
      id: 'chatcmpl-scripted',
      object: 'chat.completion',
      created: 1_767_225_600,
      model: 'gpt-4.1',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [
              {
                id: 'call_1_0',
                type: 'function',
                function: { name: 'search_docs', arguments: '{"q":"refund"}' },
              },
              {
                id: 'call_abc',
                type: 'function',
                function: { name: 'lookup_order', arguments: '{"orderId":"o1"}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 900,
        completion_tokens: 40,
        total_tokens: 940,
        prompt_tokens_details: { cached_tokens: 100, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_scripted',
    });
    expect(extractUsage(completion)).toMatchObject({
      shape: 'openai.chat_completions',
      usage: { inputTokens: 900, outputTokens: 40, cachedInputTokens: 100 },
    });
    const final = asOpenAIChatCompletion(TURNS[1]!);
    expect(final.choices[0]).toMatchObject({
      message: { content: 'Refunds take 5 days.' },
      finish_reason: 'stop',
    });
    expect(final.choices[0]!.message).not.toHaveProperty('tool_calls');
    expect(final.model).toBe('gpt-4.1');
  });

  it('asOpenAIResponse: a Responses API response with message and function_call items', () => {
    const response = asOpenAIResponse({ ...TURNS[0]!, text: 'Let me look.' });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Let me look.', annotations: [] }],
        },
        { type: 'function_call', call_id: 'call_1_0', name: 'search_docs', arguments: '{"q":"refund"}' },
        { type: 'function_call', call_id: 'call_abc', name: 'lookup_order', arguments: '{"orderId":"o1"}' },
      ],
      output_text: 'Let me look.',
      usage: {
        input_tokens: 900,
        input_tokens_details: { cached_tokens: 100 },
        output_tokens: 40,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 940,
      },
    });
    expect(extractUsage(response)).toMatchObject({
      shape: 'openai.responses',
      usage: { inputTokens: 900, outputTokens: 40, cachedInputTokens: 100 },
    });
  });

  it('a next() response can be shaped too, keeping its turn number and ids', () => {
    const model = scriptedModel(TURNS, { model: 'gpt-4.1', provider: 'openai' });
    const completion = asOpenAIChatCompletion(model.next());
    expect(completion.id).toBe('chatcmpl-scripted-1');
    expect(completion.model).toBe('gpt-4.1');
    expect(completion.choices[0]!.message.tool_calls?.map((c) => c.id)).toEqual(['call_1_0', 'call_abc']);
    const response = asOpenAIResponse(model.next(), { id: 'resp_1', created: 1 });
    expect(response).toMatchObject({ id: 'resp_1', created_at: 1, output_text: 'Refunds take 5 days.' });
  });
});
