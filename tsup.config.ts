import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'adapters/openai/index': 'src/adapters/openai/index.ts',
    'adapters/openai-agents/index': 'src/adapters/openai-agents/index.ts',
    'adapters/langchain/index': 'src/adapters/langchain/index.ts',
    'adapters/ai-sdk/index': 'src/adapters/ai-sdk/index.ts',
    'redis/index': 'src/redis/index.ts',
  },
  format: ['esm'],
  target: 'node22',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  // Peers and the optional peers of subpaths stay imports; nothing from them is bundled.
  external: [
    '@opentelemetry/api',
    '@opentelemetry/sdk-trace-base',
    'openai',
    '@openai/agents',
    '@langchain/core',
    '@langchain/langgraph',
    'ai',
    'ioredis',
  ],
});
