import type { LLMResult } from '@langchain/core/outputs';
import { extractUsage, type ModelUsage } from '../../index.js';

/**
 * The token usage of one LangChain model call, from the `LLMResult` its callbacks receive.
 *
 * The messages' `usage_metadata` is preferred (summed over the generations): it carries cache reads,
 * cache writes and reasoning tokens, which `llmOutput.tokenUsage` (what chat models such as
 * ChatOpenAI, and LangChain's streaming path, also set) leaves out — the cost of a cached prompt
 * would then be overestimated. Without it (plain LLMs), `llmOutput.tokenUsage` is used. `null` when
 * the call reported no usage.
 */
export function usageOfResult(output: LLMResult): ModelUsage | null {
  const generations = Array.isArray(output?.generations) ? output.generations.flat() : [];
  const messages = generations
    .map((generation) => (generation as { message?: unknown }).message)
    .filter((message) => message !== undefined);
  if (messages.length > 0 && messages.length === generations.length) {
    const usages = messages.map((message) => extractUsage(message)?.usage);
    if (usages.every((usage) => usage !== undefined)) return sum(usages as ModelUsage[]);
  }
  return extractUsage(output)?.usage ?? null;
}

function sum(usages: readonly ModelUsage[]): ModelUsage {
  const total: ModelUsage = {
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteInputTokens: 0,
    reasoningTokens: 0,
  };
  for (const usage of usages) {
    for (const key of Object.keys(total) as (keyof ModelUsage)[]) total[key] += usage[key];
  }
  return total;
}
