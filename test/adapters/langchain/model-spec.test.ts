import { describe, expect, it } from 'vitest';
import { detectModelSpec, providerName } from '../../../src/adapters/langchain/model-spec.js';

describe('detectModelSpec', () => {
  it('prefers ls_model_name and maps ls_provider to the OpenTelemetry provider name', () => {
    expect(
      detectModelSpec({
        operation: 'chat',
        serialized: {
          id: ['langchain', 'chat_models', 'bedrock', 'ChatBedrockConverse'],
          kwargs: { model: 'x' },
        },
        extraParams: { invocation_params: { model: 'y' } },
        metadata: { ls_provider: 'amazon_bedrock', ls_model_name: 'anthropic.claude-sonnet-4' },
      }),
    ).toEqual({ model: 'anthropic.claude-sonnet-4', provider: 'aws.bedrock', operation: 'chat' });
  });

  it('falls back to invocation params, then constructor fields, then the class name', () => {
    const base = { operation: 'chat' as const, metadata: undefined };
    expect(
      detectModelSpec({ ...base, serialized: {}, extraParams: { invocation_params: { model_name: 'm1' } } }),
    ).toEqual({ model: 'm1', operation: 'chat' });
    expect(
      detectModelSpec({ ...base, serialized: { kwargs: { modelName: 'm2' } }, extraParams: undefined }),
    ).toEqual({ model: 'm2', operation: 'chat' });
    expect(
      detectModelSpec({ ...base, serialized: { id: ['langchain', 'FakeLLM'] }, extraParams: undefined }),
    ).toEqual({ model: 'FakeLLM', operation: 'chat' });
    expect(detectModelSpec({ ...base, serialized: null, extraParams: undefined })).toEqual({
      model: 'unknown',
      operation: 'chat',
    });
  });

  it('passes unknown providers through, lower-cased', () => {
    expect(providerName('openai')).toBe('openai');
    expect(providerName('google_genai')).toBe('gcp.gemini');
    expect(providerName('Ollama')).toBe('ollama');
  });
});
