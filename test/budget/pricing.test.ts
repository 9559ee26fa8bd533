import { describe, expect, it } from 'vitest';
import { computeCostUsd, findPrice, type Pricing } from '../../src/budget/pricing.js';
import { extractUsage, type ModelUsage, normalizeUsage } from '../../src/budget/usage.js';

const pricing: Pricing = {
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 },
  'claude-sonnet-4-5': {
    inputPerMTok: 3,
    outputPerMTok: 15,
    cachedInputPerMTok: 0.3,
    cacheWriteInputPerMTok: 3.75,
  },
  'plain-model': { inputPerMTok: 1, outputPerMTok: 4 },
};

const usage = (partial: Partial<ModelUsage> & { inputTokens: number; outputTokens: number }) =>
  normalizeUsage(partial);

describe('findPrice', () => {
  it('finds a model by its exact name', () => {
    expect(findPrice(pricing, 'gpt-4.1')).toBe(pricing['gpt-4.1']);
  });

  it('does not match a different spelling or a dated variant', () => {
    expect(findPrice(pricing, 'GPT-4.1')).toBeUndefined();
    expect(findPrice(pricing, 'gpt-4.1-2025-04-14')).toBeUndefined();
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'never matches the inherited %s',
    (name) => {
      expect(findPrice(pricing, name)).toBeUndefined();
    },
  );

  it('matches an own __proto__ key on a null-prototype pricing', () => {
    const own: Pricing = Object.create(null);
    const price = { inputPerMTok: 1, outputPerMTok: 1 };
    Object.defineProperty(own, '__proto__', { value: price, enumerable: true });
    expect(findPrice(own, '__proto__')).toBe(price);
    expect(findPrice(own, 'toString')).toBeUndefined();
  });
});

describe('computeCostUsd', () => {
  it('prices input and output per million tokens', () => {
    expect(
      computeCostUsd(usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }), pricing['plain-model']!),
    ).toBe(5);
  });

  it('prices cached tokens separately from uncached input', () => {
    const cost = computeCostUsd(
      usage({ inputTokens: 2006, outputTokens: 300, cachedInputTokens: 1920 }),
      pricing['gpt-4.1']!,
    );
    // 86 uncached * $2 + 1920 cached * $0.5 + 300 out * $8, per million
    expect(cost).toBeCloseTo((86 * 2 + 1920 * 0.5 + 300 * 8) / 1e6, 12);
  });

  it('prices cache writes at their own rate', () => {
    const cost = computeCostUsd(
      usage({ inputTokens: 2009, outputTokens: 393, cachedInputTokens: 1800, cacheWriteInputTokens: 188 }),
      pricing['claude-sonnet-4-5']!,
    );
    expect(cost).toBeCloseTo((21 * 3 + 1800 * 0.3 + 188 * 3.75 + 393 * 15) / 1e6, 12);
  });

  it('prices cached and cache-write tokens at the input price by default', () => {
    const withCache = usage({
      inputTokens: 1000,
      outputTokens: 10,
      cachedInputTokens: 600,
      cacheWriteInputTokens: 300,
    });
    const withoutCache = usage({ inputTokens: 1000, outputTokens: 10 });
    expect(computeCostUsd(withCache, pricing['plain-model']!)).toBeCloseTo(
      computeCostUsd(withoutCache, pricing['plain-model']!),
      12,
    );
    expect(computeCostUsd(withoutCache, pricing['plain-model']!)).toBeCloseTo((1000 * 1 + 10 * 4) / 1e6, 12);
  });

  it('does not charge reasoning tokens on top of output tokens', () => {
    const withReasoning = usage({ inputTokens: 0, outputTokens: 500, reasoningTokens: 400 });
    expect(computeCostUsd(withReasoning, pricing['gpt-4.1']!)).toBeCloseTo((500 * 8) / 1e6, 12);
  });

  it('clamps the uncached input at 0 when cached counts exceed the input', () => {
    const inconsistent = usage({ inputTokens: 100, outputTokens: 0, cachedInputTokens: 150 });
    expect(computeCostUsd(inconsistent, pricing['gpt-4.1']!)).toBeCloseTo((150 * 0.5) / 1e6, 12);
  });

  it('costs nothing for no tokens', () => {
    expect(computeCostUsd(usage({ inputTokens: 0, outputTokens: 0 }), pricing['gpt-4.1']!)).toBe(0);
  });

  it('keeps small per-call costs accurate to 1e-12 over many calls', () => {
    const price = { inputPerMTok: 0.15, outputPerMTok: 0.6, cachedInputPerMTok: 0.075 };
    const one = usage({ inputTokens: 1234, outputTokens: 567, cachedInputTokens: 1024 });
    let total = 0;
    for (let i = 0; i < 1000; i++) total += computeCostUsd(one, price);
    const exact = ((210 * 0.15 + 1024 * 0.075 + 567 * 0.6) / 1e6) * 1000;
    expect(Math.abs(total - exact)).toBeLessThan(1e-12);
  });

  it('prices a usage extracted from an Anthropic response end to end', () => {
    const extracted = extractUsage({
      id: 'msg_01',
      type: 'message',
      model: 'claude-sonnet-4-5',
      stop_reason: 'end_turn',
      usage: {
        input_tokens: 21,
        cache_read_input_tokens: 1800,
        cache_creation_input_tokens: 188,
        output_tokens: 393,
      },
    });
    expect(extracted).not.toBeNull();
    const price = findPrice(pricing, 'claude-sonnet-4-5');
    expect(price).toBeDefined();
    expect(computeCostUsd(extracted!.usage, price!)).toBeCloseTo(
      (21 * 3 + 1800 * 0.3 + 188 * 3.75 + 393 * 15) / 1e6,
      12,
    );
  });
});
