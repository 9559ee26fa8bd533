/**
 * Reading token usage and response facts out of whatever a model call returned.
 *
 * Every provider shape is normalised to {@link ModelUsage}, whose `inputTokens` follows the
 * OpenTelemetry GenAI convention: it INCLUDES cache reads and cache writes.
 */

/**
 * Token usage of one model call, normalised.
 * `inputTokens` INCLUDES cached (read) and cache-write tokens (OpenTelemetry GenAI convention).
 */
export interface ModelUsage {
  /** All input tokens, cached and cache-write tokens included. */
  inputTokens: number;
  /** All output tokens, reasoning tokens included. */
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache (0 if unknown). */
  cachedInputTokens: number;
  /** Input tokens written to the provider's prompt cache (0 if unknown). */
  cacheWriteInputTokens: number;
  /** Reasoning tokens, a part of `outputTokens`, when the provider says so (0 if unknown). */
  reasoningTokens: number;
}

/** Facts about the response besides usage, for spans. All optional. */
export interface ResponseInfo {
  /** The model that actually answered (`gen_ai.response.model`). */
  responseModel?: string;
  /** The provider's id for the response (`gen_ai.response.id`). */
  responseId?: string;
  /** Why generation stopped, one entry per choice / generation (`gen_ai.response.finish_reasons`). */
  finishReasons?: string[];
}

/** The response shapes {@link extractUsage} recognises. */
export type UsageShape =
  | 'openai.chat_completions'
  | 'openai.responses'
  | 'anthropic.messages'
  | 'ai_sdk'
  | 'ai_sdk.provider'
  | 'langchain'
  | 'normalized';

type Rec = Record<string, unknown>;

const EMPTY: Rec = Object.freeze({});

function isRecord(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rec(value: unknown): Rec {
  return isRecord(value) ? value : EMPTY;
}

/**
 * Reads `r[key]`, where an AI SDK `streamText` result keeps a lazily created promise: such a promise
 * gets a no-op rejection handler (reading it must not cause an unhandled rejection) and reads as absent.
 */
function settled(r: Rec, key: string): unknown {
  const value = r[key];
  if (!isRecord(value) || typeof value.then !== 'function') return value;
  (value as unknown as PromiseLike<unknown>).then(undefined, () => {});
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return value === null ? 'null' : typeof value;
}

/** A token count that must be present: a finite, non-negative number. */
function requiredCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${field}: expected a finite, non-negative number of tokens, got ${describe(value)}`);
  }
  return value;
}

/** A token count that may be absent (`undefined` / `null` → 0); present, it must be valid. */
function optionalCount(value: unknown, field: string): number {
  return value === undefined || value === null ? 0 : requiredCount(value, field);
}

/**
 * Validates a usage given by the caller and fills the optional counts with 0.
 * Counts must be finite, non-negative numbers (fractions are kept as given).
 *
 * @throws TypeError naming the first invalid field.
 */
export function normalizeUsage(
  partial: Partial<ModelUsage> & { inputTokens: number; outputTokens: number },
): ModelUsage {
  if (!isRecord(partial)) {
    throw new TypeError(
      `usage: expected an object with inputTokens and outputTokens, got ${describe(partial)}`,
    );
  }
  return {
    inputTokens: requiredCount(partial.inputTokens, 'inputTokens'),
    outputTokens: requiredCount(partial.outputTokens, 'outputTokens'),
    cachedInputTokens: optionalCount(partial.cachedInputTokens, 'cachedInputTokens'),
    cacheWriteInputTokens: optionalCount(partial.cacheWriteInputTokens, 'cacheWriteInputTokens'),
    reasoningTokens: optionalCount(partial.reasoningTokens, 'reasoningTokens'),
  };
}

// ---------------------------------------------------------------------------
// Shape detection
// ---------------------------------------------------------------------------

function hasAny(value: unknown, keys: readonly string[]): boolean {
  return isRecord(value) && keys.some((key) => value[key] !== undefined);
}

/** Numeric `inputTokens` and `outputTokens` on the object itself (not under `usage`). */
function isFlatUsage(r: Rec): boolean {
  return typeof r.inputTokens === 'number' && typeof r.outputTokens === 'number';
}

/** AI SDK provider level (LanguageModelV3+): `{ inputTokens: { total, ... }, outputTokens: { total, ... } }`. */
function isProviderUsage(usage: unknown): boolean {
  return isRecord(usage) && (isRecord(usage.inputTokens) || isRecord(usage.outputTokens));
}

function shapeFromDiscriminator(r: Rec): UsageShape | null {
  if (r.object === 'chat.completion' || r.object === 'chat.completion.chunk')
    return 'openai.chat_completions';
  if (r.object === 'response') return 'openai.responses';
  if (r.type === 'message') return 'anthropic.messages';
  return null;
}

function shapeFromUsageKeys(r: Rec): UsageShape | null {
  const usage = settled(r, 'usage');
  if (hasAny(usage, ['prompt_tokens', 'completion_tokens'])) return 'openai.chat_completions';
  if (hasAny(usage, ['cache_read_input_tokens', 'cache_creation_input_tokens'])) return 'anthropic.messages';
  if (hasAny(usage, ['input_tokens', 'output_tokens'])) return 'openai.responses';
  if (isProviderUsage(usage)) return 'ai_sdk.provider';
  if (isRecord(settled(r, 'totalUsage')) || hasAny(usage, ['inputTokens', 'outputTokens'])) return 'ai_sdk';
  return null;
}

function isLangChain(r: Rec): boolean {
  return isRecord(r.usage_metadata) || isRecord(r.llmOutput) || Array.isArray(r.generations);
}

function detectShape(response: unknown): UsageShape | null {
  if (!isRecord(response)) return null;
  if (isFlatUsage(response)) return 'normalized';
  const shape = shapeFromDiscriminator(response) ?? shapeFromUsageKeys(response);
  if (shape) return shape;
  return isLangChain(response) ? 'langchain' : null;
}

// ---------------------------------------------------------------------------
// Usage readers, one per shape. They throw on malformed counts; extractUsage turns that into null.
// ---------------------------------------------------------------------------

function requireUsage(value: unknown, field: string): Rec {
  if (!isRecord(value)) throw new TypeError(`${field}: expected an object, got ${describe(value)}`);
  return value;
}

/** `prompt_tokens` already includes `cached_tokens`. */
function openAiChatUsage(r: Rec): ModelUsage {
  const u = requireUsage(settled(r, 'usage'), 'usage');
  return {
    inputTokens: requiredCount(u.prompt_tokens, 'usage.prompt_tokens'),
    outputTokens: requiredCount(u.completion_tokens, 'usage.completion_tokens'),
    cachedInputTokens: optionalCount(rec(u.prompt_tokens_details).cached_tokens, 'cached_tokens'),
    cacheWriteInputTokens: 0,
    reasoningTokens: optionalCount(rec(u.completion_tokens_details).reasoning_tokens, 'reasoning_tokens'),
  };
}

/** `input_tokens` already includes `cached_tokens`. */
function openAiResponsesUsage(r: Rec): ModelUsage {
  const u = requireUsage(settled(r, 'usage'), 'usage');
  return {
    inputTokens: requiredCount(u.input_tokens, 'usage.input_tokens'),
    outputTokens: requiredCount(u.output_tokens, 'usage.output_tokens'),
    cachedInputTokens: optionalCount(rec(u.input_tokens_details).cached_tokens, 'cached_tokens'),
    cacheWriteInputTokens: 0,
    reasoningTokens: optionalCount(rec(u.output_tokens_details).reasoning_tokens, 'reasoning_tokens'),
  };
}

/** Anthropic's `input_tokens` EXCLUDES cache reads and writes, so they are added back. */
function anthropicUsage(r: Rec): ModelUsage {
  const u = requireUsage(settled(r, 'usage'), 'usage');
  const uncached = requiredCount(u.input_tokens, 'usage.input_tokens');
  const cacheRead = optionalCount(u.cache_read_input_tokens, 'usage.cache_read_input_tokens');
  const cacheWrite = optionalCount(u.cache_creation_input_tokens, 'usage.cache_creation_input_tokens');
  return {
    inputTokens: uncached + cacheRead + cacheWrite,
    outputTokens: requiredCount(u.output_tokens, 'usage.output_tokens'),
    cachedInputTokens: cacheRead,
    cacheWriteInputTokens: cacheWrite,
    reasoningTokens: 0,
  };
}

/**
 * A flat camelCase usage: ours, AI SDK 5 (`cachedInputTokens`, `reasoningTokens`) or AI SDK 6+
 * (`inputTokenDetails`, `outputTokenDetails`, preferred when present). The AI SDK's `inputTokens`
 * is taken as given (it includes cached tokens from AI SDK 6 on).
 */
function flatUsage(u: Rec): ModelUsage {
  const inDetails = rec(u.inputTokenDetails);
  const outDetails = rec(u.outputTokenDetails);
  return {
    inputTokens: requiredCount(u.inputTokens, 'inputTokens'),
    outputTokens: requiredCount(u.outputTokens, 'outputTokens'),
    cachedInputTokens: optionalCount(inDetails.cacheReadTokens ?? u.cachedInputTokens, 'cachedInputTokens'),
    cacheWriteInputTokens: optionalCount(
      inDetails.cacheWriteTokens ?? u.cacheWriteInputTokens,
      'cacheWriteInputTokens',
    ),
    reasoningTokens: optionalCount(outDetails.reasoningTokens ?? u.reasoningTokens, 'reasoningTokens'),
  };
}

/**
 * AI SDK `generateText` result (or a `finish` / `finish-step` stream part). `totalUsage` is
 * preferred over `usage`: `usage` is the last step only, while one `generateText` call with tools
 * may make several model calls, all of which were paid for.
 */
function aiSdkUsage(r: Rec): ModelUsage {
  const totalUsage = settled(r, 'totalUsage');
  return flatUsage(requireUsage(isRecord(totalUsage) ? totalUsage : settled(r, 'usage'), 'usage'));
}

/** The total when given, else the sum of the parts when the first part is given. */
function totalOrSum(details: Rec, parts: readonly [string, ...string[]], field: string): number {
  if (details.total !== undefined && details.total !== null)
    return requiredCount(details.total, `${field}.total`);
  const [first, ...rest] = parts;
  let sum = requiredCount(details[first], `${field}.${first}`);
  for (const part of rest) sum += optionalCount(details[part], `${field}.${part}`);
  return sum;
}

/** AI SDK provider level (`doGenerate` result, stream `finish` part): nested `{ total, ... }` counts. */
function aiSdkProviderUsage(r: Rec): ModelUsage {
  const u = requireUsage(settled(r, 'usage'), 'usage');
  const input = rec(u.inputTokens);
  const output = rec(u.outputTokens);
  return {
    inputTokens: totalOrSum(input, ['noCache', 'cacheRead', 'cacheWrite'], 'usage.inputTokens'),
    outputTokens: totalOrSum(output, ['text', 'reasoning'], 'usage.outputTokens'),
    cachedInputTokens: optionalCount(input.cacheRead, 'usage.inputTokens.cacheRead'),
    cacheWriteInputTokens: optionalCount(input.cacheWrite, 'usage.inputTokens.cacheWrite'),
    reasoningTokens: optionalCount(output.reasoning, 'usage.outputTokens.reasoning'),
  };
}

/** LangChain `usage_metadata`; `input_tokens` includes cache reads and writes. */
function langChainMetadataUsage(m: Rec): ModelUsage {
  const inDetails = rec(m.input_token_details);
  return {
    inputTokens: requiredCount(m.input_tokens, 'usage_metadata.input_tokens'),
    outputTokens: requiredCount(m.output_tokens, 'usage_metadata.output_tokens'),
    cachedInputTokens: optionalCount(inDetails.cache_read, 'input_token_details.cache_read'),
    cacheWriteInputTokens: optionalCount(inDetails.cache_creation, 'input_token_details.cache_creation'),
    reasoningTokens: optionalCount(rec(m.output_token_details).reasoning, 'output_token_details.reasoning'),
  };
}

/** The messages of an LLMResult (`generations[][]`) or ChatResult (`generations[]`). */
function generationMessages(r: Rec): Rec[] {
  const generations = Array.isArray(r.generations) ? r.generations.flat() : [];
  return generations.map((generation) => rec(rec(generation).message));
}

function sumUsages(usages: readonly ModelUsage[]): ModelUsage {
  const sum: ModelUsage = normalizeUsage({ inputTokens: 0, outputTokens: 0 });
  for (const usage of usages) {
    for (const key of Object.keys(sum) as (keyof ModelUsage)[]) sum[key] += usage[key];
  }
  return sum;
}

/**
 * LangChain AIMessage / AIMessageChunk (`usage_metadata`) or LLMResult: `llmOutput.tokenUsage` when
 * present, else the sum of the generations' `usage_metadata`.
 */
function langChainUsage(r: Rec): ModelUsage {
  if (isRecord(r.usage_metadata)) return langChainMetadataUsage(r.usage_metadata);
  const tokenUsage = rec(r.llmOutput).tokenUsage;
  if (isRecord(tokenUsage)) {
    return {
      inputTokens: requiredCount(tokenUsage.promptTokens, 'llmOutput.tokenUsage.promptTokens'),
      outputTokens: requiredCount(tokenUsage.completionTokens, 'llmOutput.tokenUsage.completionTokens'),
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      reasoningTokens: 0,
    };
  }
  const metadata = generationMessages(r).map((message) => message.usage_metadata);
  if (metadata.length === 0 || !metadata.every(isRecord))
    throw new TypeError('generations: no usage_metadata');
  return sumUsages(metadata.map(langChainMetadataUsage));
}

const USAGE_READERS: Record<UsageShape, (r: Rec) => ModelUsage> = {
  'openai.chat_completions': openAiChatUsage,
  'openai.responses': openAiResponsesUsage,
  'anthropic.messages': anthropicUsage,
  ai_sdk: aiSdkUsage,
  'ai_sdk.provider': aiSdkProviderUsage,
  langchain: langChainUsage,
  normalized: flatUsage,
};

/**
 * Reads the token usage of a model call from its response, auto-detecting the shape: OpenAI Chat
 * Completions (also the final streaming chunk), OpenAI Responses, Anthropic Messages, AI SDK results
 * and stream parts, AI SDK provider-level results, LangChain messages and LLMResults, or an
 * already-normalised `{ inputTokens, outputTokens, ... }`.
 *
 * Never throws and never mutates the response. An AI SDK `streamText` result holds its usage in
 * promises, so it reads as `null`: await `result.totalUsage` and pass that (or record it directly).
 *
 * @returns the normalised usage and the shape it was read as, or `null` when no usage can be read
 *   (no usage, a missing, non-numeric, negative or non-finite count, or a response that throws).
 */
export function extractUsage(response: unknown): { usage: ModelUsage; shape: UsageShape } | null {
  try {
    const shape = detectShape(response);
    if (shape === null) return null;
    return { usage: USAGE_READERS[shape](response as Rec), shape };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Response info readers, one per shape.
// ---------------------------------------------------------------------------

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function texts(values: readonly unknown[]): string[] {
  return values.map(text).filter((value): value is string => value !== undefined);
}

function info(responseModel: unknown, responseId: unknown, finishReasons: readonly unknown[]): ResponseInfo {
  const result: ResponseInfo = {};
  const model = text(responseModel);
  const id = text(responseId);
  const reasons = texts(finishReasons);
  if (model !== undefined) result.responseModel = model;
  if (id !== undefined) result.responseId = id;
  if (reasons.length > 0) result.finishReasons = reasons;
  return result;
}

function openAiChatInfo(r: Rec): ResponseInfo {
  const choices = Array.isArray(r.choices) ? r.choices : [];
  return info(
    r.model,
    r.id,
    choices.map((choice) => rec(choice).finish_reason),
  );
}

/** The finish reason is the `incomplete_details.reason` when given, else the `status`. */
function openAiResponsesInfo(r: Rec): ResponseInfo {
  return info(r.model, r.id, [text(rec(r.incomplete_details).reason) ?? r.status]);
}

function anthropicInfo(r: Rec): ResponseInfo {
  return info(r.model, r.id, [r.stop_reason]);
}

/** A finish reason string, or the `unified` (else `raw`) member of a `{ unified, raw }` object. */
function aiSdkFinishReason(value: unknown): unknown {
  return isRecord(value) ? (text(value.unified) ?? value.raw) : value;
}

/** AI SDK results and provider-level results alike: `response.modelId`, `response.id`, `finishReason`. */
function aiSdkInfo(r: Rec): ResponseInfo {
  const response = rec(settled(r, 'response'));
  return info(response.modelId, response.id, [aiSdkFinishReason(settled(r, 'finishReason'))]);
}

function langChainMessageFinish(message: Rec): unknown {
  const metadata = rec(message.response_metadata);
  return metadata.finish_reason ?? metadata.stop_reason;
}

function langChainMessageInfo(message: Rec): ResponseInfo {
  const metadata = rec(message.response_metadata);
  return info(metadata.model_name ?? metadata.model, message.id ?? metadata.id, [
    langChainMessageFinish(message),
  ]);
}

/** A message directly, or an LLMResult: model and id of the first generation, every finish reason. */
function langChainInfo(r: Rec): ResponseInfo {
  if (!Array.isArray(r.generations)) return langChainMessageInfo(r);
  const generations = r.generations.flat().map(rec);
  const first = langChainMessageInfo(rec(generations[0]?.message));
  const reasons = generations.map(
    (generation) =>
      langChainMessageFinish(rec(generation.message)) ?? rec(generation.generationInfo).finish_reason,
  );
  return info(first.responseModel, first.responseId, reasons);
}

function normalizedInfo(r: Rec): ResponseInfo {
  return info(r.responseModel, r.responseId, Array.isArray(r.finishReasons) ? r.finishReasons : []);
}

const INFO_READERS: Record<UsageShape, (r: Rec) => ResponseInfo> = {
  'openai.chat_completions': openAiChatInfo,
  'openai.responses': openAiResponsesInfo,
  'anthropic.messages': anthropicInfo,
  ai_sdk: aiSdkInfo,
  'ai_sdk.provider': aiSdkInfo,
  langchain: langChainInfo,
  normalized: normalizedInfo,
};

/**
 * Reads the response model, response id and finish reasons from a model call's response, for the
 * `gen_ai.response.*` span attributes. Same shapes as {@link extractUsage}; fields that cannot be read
 * are left out.
 *
 * Never throws and never mutates the response.
 */
export function extractResponseInfo(response: unknown): ResponseInfo {
  try {
    const shape = detectShape(response);
    return shape === null ? {} : INFO_READERS[shape](response as Rec);
  } catch {
    return {};
  }
}
