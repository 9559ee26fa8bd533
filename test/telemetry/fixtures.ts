import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { defineTool, type Pricing } from 'agent-warden';
import { expect } from 'vitest';
import { z } from 'zod';

// Response objects shaped like the real provider APIs (trimmed to what a
// client library returns; no network). Model names follow the providers'
// habit of answering with a dated snapshot of the requested alias.

/** OpenAI Chat Completions: the model asks for one tool call. */
export function chatCompletionToolCall() {
  return {
    id: 'chatcmpl-CjT4mX9bK2pQ7rL1sV8wY3zA',
    object: 'chat.completion' as const,
    created: 1_767_225_600,
    model: 'gpt-4.1-2025-04-14',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: null as string | null,
          refusal: null,
          annotations: [],
          tool_calls: [
            {
              id: 'call_Qm3vX8a1LpT6',
              type: 'function' as const,
              function: { name: 'search_docs', arguments: '{"query":"refund policy"}' },
            },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: {
      prompt_tokens: 1200,
      completion_tokens: 40,
      total_tokens: 1240,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_b42a6c3f1e',
  };
}

/** OpenAI Chat Completions: a final text answer. */
export function chatCompletionText(content = 'Refunds take 5 business days.') {
  return {
    id: 'chatcmpl-CjT4nB0cL3rR8sM2tW9xZ4aB',
    object: 'chat.completion' as const,
    created: 1_767_225_601,
    model: 'gpt-4.1-2025-04-14',
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 1300,
      completion_tokens: 12,
      total_tokens: 1312,
      prompt_tokens_details: { cached_tokens: 1152, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_b42a6c3f1e',
  };
}

/** OpenAI Responses API: one function call in `output`. */
export function responsesFunctionCall() {
  return {
    id: 'resp_68a1f0c2d3e4b5a6978899aabbccddee',
    object: 'response' as const,
    created_at: 1_767_225_600,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: null,
    model: 'gpt-4.1-2025-04-14',
    output: [
      {
        type: 'function_call' as const,
        id: 'fc_68a1f0c3aa11',
        call_id: 'call_Zr7pK2m9Wq1d',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      },
    ],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    usage: {
      input_tokens: 310,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 22,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 332,
    },
  };
}

/** Anthropic Messages API: a tool_use block, with prompt caching. */
export function anthropicToolUse() {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message' as const,
    role: 'assistant' as const,
    model: 'claude-sonnet-4-5-20250929',
    content: [
      { type: 'text' as const, text: 'Let me check the weather.' },
      {
        type: 'tool_use' as const,
        id: 'toolu_01A09q90qw90lq917835lq9',
        name: 'get_weather',
        input: { city: 'Paris' },
      },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: {
      input_tokens: 50,
      cache_creation_input_tokens: 100,
      cache_read_input_tokens: 2000,
      output_tokens: 80,
      service_tier: 'standard',
    },
  };
}

export const PRICING: Pricing = {
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 },
  'claude-sonnet-4-5': {
    inputPerMTok: 3,
    outputPerMTok: 15,
    cachedInputPerMTok: 0.3,
    cacheWriteInputPerMTok: 3.75,
  },
};

export const searchDocs = defineTool({
  name: 'search_docs',
  description: 'Search the help centre',
  input: z.object({ query: z.string().min(1) }),
  output: z.object({ hits: z.array(z.string()) }),
  effect: 'read',
  retry: { retries: 0 },
  execute: async ({ query }) => ({ hits: [`${query}: 5 business days`] }),
});

export const getWeather = defineTool({
  name: 'get_weather',
  description: 'Current weather in a city',
  input: z.object({ city: z.string() }),
  effect: 'read',
  retry: { retries: 0 },
  execute: async ({ city }) => ({ city, tempC: 21 }),
});

/** The span is ERROR with `error.type` = `code`. */
export function expectError(span: ReadableSpan, code: string): void {
  expect(span.status.code, `${span.name} status`).toBe(SpanStatusCode.ERROR);
  expect(span.attributes['error.type'], `${span.name} error.type`).toBe(code);
}

/** The span succeeded: OK (or UNSET) and no `error.type`. */
export function expectOk(span: ReadableSpan): void {
  expect([SpanStatusCode.OK, SpanStatusCode.UNSET], `${span.name} status`).toContain(span.status.code);
  expect(span.attributes, `${span.name} attributes`).not.toHaveProperty(['error.type']);
}

/** Names and attributes of a span's events, in order. */
export function eventsOf(span: ReadableSpan): Array<{ name: string; attributes: Record<string, unknown> }> {
  return span.events.map((e) => ({ name: e.name, attributes: { ...(e.attributes ?? {}) } }));
}
