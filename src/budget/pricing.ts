/**
 * Model prices and the cost of one model call.
 */

import type { ModelUsage } from './usage.js';

/** Prices in USD per million tokens. */
export interface ModelPrice {
  /** Uncached input tokens. */
  inputPerMTok: number;
  /** Output tokens, reasoning tokens included. */
  outputPerMTok: number;
  /**
   * Input tokens read from the prompt cache.
   * @default inputPerMTok
   */
  cachedInputPerMTok?: number;
  /**
   * Input tokens written to the prompt cache.
   * @default inputPerMTok
   */
  cacheWriteInputPerMTok?: number;
}

/** Prices by model name, e.g. `{ 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 } }`. */
export type Pricing = Record<string, ModelPrice>;

const TOKENS_PER_MTOK = 1_000_000;

/**
 * The price of `model`, matched exactly against the pricing's own keys, so inherited names such as
 * `constructor`, `toString` or `__proto__` never match.
 */
export function findPrice(pricing: Pricing, model: string): ModelPrice | undefined {
  return Object.hasOwn(pricing, model) ? pricing[model] : undefined;
}

/**
 * The cost of one model call in USD: uncached input, cache reads, cache writes and output, each at
 * its own price. `usage.inputTokens` includes cached and cache-write tokens (OpenTelemetry GenAI
 * convention); the uncached part is clamped at 0 when the counts disagree.
 */
export function computeCostUsd(usage: ModelUsage, price: ModelPrice): number {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteInputTokens);
  const microUsd =
    uncached * price.inputPerMTok +
    usage.cachedInputTokens * (price.cachedInputPerMTok ?? price.inputPerMTok) +
    usage.cacheWriteInputTokens * (price.cacheWriteInputPerMTok ?? price.inputPerMTok) +
    usage.outputTokens * price.outputPerMTok;
  return microUsd / TOKENS_PER_MTOK;
}
