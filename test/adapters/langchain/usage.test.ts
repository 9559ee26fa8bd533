import { AIMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { usageOfResult } from '../../../src/adapters/langchain/usage.js';

const cachedMessage = () =>
  new AIMessage({
    content: 'hi',
    usage_metadata: {
      input_tokens: 1_000,
      output_tokens: 50,
      total_tokens: 1_050,
      input_token_details: { cache_read: 800 },
      output_token_details: { reasoning: 20 },
    },
  });

describe('usageOfResult', () => {
  it("prefers the messages' usage_metadata (cache reads, reasoning) over llmOutput.tokenUsage", () => {
    const usage = usageOfResult({
      generations: [[{ text: 'hi', message: cachedMessage() } as never]],
      llmOutput: { tokenUsage: { promptTokens: 1_000, completionTokens: 50, totalTokens: 1_050 } },
    });
    expect(usage).toEqual({
      inputTokens: 1_000,
      outputTokens: 50,
      cachedInputTokens: 800,
      cacheWriteInputTokens: 0,
      reasoningTokens: 20,
    });
  });

  it('sums several generations (n > 1, batches)', () => {
    const usage = usageOfResult({
      generations: [
        [{ text: 'a', message: cachedMessage() } as never],
        [{ text: 'b', message: cachedMessage() } as never],
      ],
    });
    expect(usage).toMatchObject({ inputTokens: 2_000, outputTokens: 100, cachedInputTokens: 1_600 });
  });

  it('falls back to llmOutput.tokenUsage for text generations (plain LLMs)', () => {
    expect(
      usageOfResult({
        generations: [[{ text: 'done' }]],
        llmOutput: { tokenUsage: { promptTokens: 12, completionTokens: 3 } },
      }),
    ).toMatchObject({ inputTokens: 12, outputTokens: 3, cachedInputTokens: 0 });
  });

  it('is null when the call reported no usage', () => {
    expect(usageOfResult({ generations: [[{ text: '', message: new AIMessage('x') } as never]] })).toBeNull();
    expect(usageOfResult({ generations: [] })).toBeNull();
  });
});
