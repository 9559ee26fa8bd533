import type { UsageInput } from '../../index.js';

type Rec = Record<string, unknown>;

function isRecord(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Sum one key of the SDK's token details, which are a record or an array of records (one per request). */
function detail(details: unknown, key: string): number {
  const entries = Array.isArray(details) ? details : [details];
  let total = 0;
  for (const entry of entries) {
    if (isRecord(entry) && isCount(entry[key])) total += entry[key];
  }
  return total;
}

/**
 * The usage of one Agents SDK `ModelResponse` (`usage: Usage`), in the warden's terms: `inputTokens`
 * (cached tokens included, as OpenAI reports them), `outputTokens`, `cachedInputTokens` from
 * `inputTokensDetails.cached_tokens` and `reasoningTokens` from `outputTokensDetails.reasoning_tokens`.
 *
 * `null` — usage unavailable, which stops the run under the always-on token budget — when there is no
 * usage object, or when it says zero input and zero output tokens: the SDK's models write zeros when
 * the provider reported nothing, and a real model call always reads at least one token.
 */
export function agentsUsage(usage: unknown): UsageInput | null {
  if (!isRecord(usage)) return null;
  const { inputTokens, outputTokens } = usage;
  if (!isCount(inputTokens) || !isCount(outputTokens)) return null;
  if (inputTokens === 0 && outputTokens === 0) return null;
  return {
    inputTokens,
    outputTokens,
    cachedInputTokens: Math.min(detail(usage.inputTokensDetails, 'cached_tokens'), inputTokens),
    reasoningTokens: Math.min(detail(usage.outputTokensDetails, 'reasoning_tokens'), outputTokens),
  };
}
