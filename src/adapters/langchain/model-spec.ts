import type { ModelSpec } from '../../index.js';

/** What a LangChain callback knows about a model call when it starts. */
export interface LangChainModelCallInfo {
  /** `'chat'` for chat models (`handleChatModelStart`), `'text_completion'` for plain LLMs (`handleLLMStart`). */
  operation: 'chat' | 'text_completion';
  /** The serialised model (`llm.toJSON()`): `id` is the class path, `kwargs` the constructor fields. */
  serialized: unknown;
  /** `extraParams` of the callback: `{ invocation_params, options, batch_size }`. */
  extraParams: Record<string, unknown> | undefined;
  /** Callback metadata: LangChain puts `ls_provider`, `ls_model_name`, `ls_model_type` here. */
  metadata: Record<string, unknown> | undefined;
}

type Rec = Record<string, unknown>;

function rec(value: unknown): Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : {};
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.length > 0 && value.length <= 256) return value;
  }
  return undefined;
}

/**
 * LangChain `ls_provider` values mapped to OpenTelemetry `gen_ai.provider.name` values where they
 * differ. Anything else is passed through as LangChain reports it.
 */
const PROVIDER_NAMES: Readonly<Record<string, string>> = Object.freeze({
  azure: 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
  bedrock: 'aws.bedrock',
  amazon_bedrock: 'aws.bedrock',
  google_genai: 'gcp.gemini',
  google_vertexai: 'gcp.vertex_ai',
  vertexai: 'gcp.vertex_ai',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  xai: 'x_ai',
  watsonx: 'ibm.watsonx.ai',
});

/** The OpenTelemetry provider name for a LangChain `ls_provider`. */
export function providerName(lsProvider: string): string {
  const key = lsProvider.toLowerCase();
  return Object.hasOwn(PROVIDER_NAMES, key) ? PROVIDER_NAMES[key]! : key;
}

/**
 * The model spec of a LangChain model call, read from what the callback receives: the model name
 * from `ls_model_name` (metadata), else the invocation params (`model`, `model_name`, `modelName`),
 * else the serialised constructor fields, else the model's class name; the provider from
 * `ls_provider`.
 */
export function detectModelSpec(info: LangChainModelCallInfo): ModelSpec {
  const metadata = rec(info.metadata);
  const params = rec(rec(info.extraParams).invocation_params);
  const serialized = rec(info.serialized);
  const kwargs = rec(serialized.kwargs);
  const id = Array.isArray(serialized.id) ? serialized.id : [];
  const model =
    firstString(
      metadata.ls_model_name,
      params.model,
      params.model_name,
      params.modelName,
      kwargs.model,
      kwargs.model_name,
      kwargs.modelName,
      id[id.length - 1],
    ) ?? 'unknown';
  const provider = firstString(metadata.ls_provider);
  return { model, operation: info.operation, ...(provider ? { provider: providerName(provider) } : {}) };
}
