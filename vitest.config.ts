import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^agent-warden$/, replacement: `${src}index.ts` },
      {
        find: /^agent-warden\/(openai|openai-agents|langchain|ai-sdk)$/,
        replacement: `${src}adapters/$1/index.ts`,
      },
      { find: /^agent-warden\/(.+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/testing/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    testTimeout: 20_000,
    globalSetup: ['./test/support/redis-server.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
