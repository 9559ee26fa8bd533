import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createWarden, defineTool, memoryStore, type Store } from '../../src/index.js';
import { redisStore } from '../../src/redis/index.js';
import { connect, describeRedis, freshPrefix } from './support.js';

// A result too large to keep (maxResultBytes) replays as "completed, result unavailable": never re-run.
describeRedis('oversized idempotency results', (url) => {
  let client: Redis;
  beforeAll(async () => {
    client = await connect(url);
  });
  afterAll(async () => {
    await client.quit();
  });

  const stores: Array<[string, () => Store]> = [
    ['memoryStore', () => memoryStore({ maxResultBytes: 1_024 })],
    ['redisStore', () => redisStore({ client, prefix: freshPrefix('oversized'), maxResultBytes: 1_024 })],
  ];

  for (const [name, make] of stores) {
    it(`${name}: the repeated call is not executed and says why`, async () => {
      let executions = 0;
      const exportReport = defineTool({
        name: 'export_report',
        description: 'Builds and sends a large report',
        input: z.object({ month: z.string() }),
        execute: async () => {
          executions++;
          return { rows: 'r'.repeat(5_000) };
        },
      });
      const warden = createWarden({ tools: [exportReport], store: make() });
      const identity = { userId: 'u1', sessionId: 's1' };
      const first = await warden.run(identity, (run) => run.tool('export_report', { month: '2025-03' }));
      const again = await warden.run(identity, (run) => run.tool('export_report', { month: '2025-03' }));
      await warden.close();

      expect(first).toMatchObject({ status: 'completed', output: { ok: true, replayed: false } });
      expect(executions).toBe(1);
      expect(again).toMatchObject({
        status: 'completed',
        output: {
          ok: false,
          error: {
            code: 'tool_error',
            retryable: false,
            details: { reason: 'replay_unavailable', replayed: true, outcome: 'ok', size: 5_011 },
          },
        },
      });
      const outcome = (again as { output: { forModel(): string; error: { message: string } } }).output;
      expect(outcome.error.message).toMatch(/already completed.*not run again/);
      expect(JSON.parse(outcome.forModel())).toMatchObject({
        error: { code: 'tool_error', retryable: false },
      });
    });
  }
});
