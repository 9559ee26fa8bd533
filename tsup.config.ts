import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm'],
  target: 'node22',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  // Peers (and optional peers of subpaths) stay imports; nothing from them is bundled.
  external: ['@opentelemetry/api', '@opentelemetry/sdk-trace-base'],
});
