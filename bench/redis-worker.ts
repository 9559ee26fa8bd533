// One worker process of bench/redis.ts: its own ioredis client and warden (or none, for the baseline)
// on the shared Redis. Says `ready`, waits for a line on stdin so all workers start together, makes
// calls for `durationMs` from `concurrency` concurrent loops, and reports one JSON line.
import { performance } from 'node:perf_hooks';
import { redisStore } from 'agent-warden/redis';
import { Redis } from 'ioredis';
import { benchWarden, expectOk, readArgs, writeArgs } from './fixtures.js';

export interface RedisWorkerTask {
  url: string;
  prefix: string;
  /** `guarded`: run.tool calls, alternating read and write; `incr`: one INCR per call (one round trip). */
  mode: 'guarded' | 'incr';
  /** User (day) and tenant (month) scoped budgets on tool calls. */
  scoped: boolean;
  durationMs: number;
  concurrency: number;
  /** Distinguishes this worker's arguments (idempotency keys) from the others'. */
  worker: number;
}

export interface RedisWorkerResult {
  calls: number;
  ms: number;
  refused: number;
}

const task = JSON.parse(process.argv[2]!) as RedisWorkerTask;
const write = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const client = new Redis(task.url, {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 2_000,
  retryStrategy: (times) => Math.min(times * 100, 1_000),
});
client.on('error', () => {});
await client.connect();

const warden = benchWarden({
  store: redisStore({ client, prefix: task.prefix }),
  ...(task.scoped
    ? {
        budgets: {
          user: { toolCalls: 1_000_000_000, window: 'day' as const },
          tenant: { toolCalls: 1_000_000_000, window: 'month' as const },
        },
      }
    : {}),
});

async function loop(lane: number, until: number): Promise<{ calls: number; refused: number }> {
  let calls = 0;
  let refused = 0;
  // Per lane: a run of up to 150 calls, then a new run (the default run budget is 200 tool calls).
  while (performance.now() < until) {
    if (task.mode === 'incr') {
      await client.incr(`{${task.prefix}}:incr:${task.worker}:${lane}`);
      calls++;
      continue;
    }
    const result = await warden.run(
      { userId: `user_${task.worker}_${lane}`, tenantId: 'acme' },
      async (run) => {
        for (let i = 0; i < 150 && performance.now() < until; i++) {
          const n = (task.worker * 1_000 + lane) * 10_000_000 + calls;
          const outcome =
            i % 2 === 0
              ? await run.tool('search_docs', readArgs(n))
              : await run.tool('send_email', writeArgs(n));
          if (!outcome.ok) refused++;
          calls++;
        }
      },
    );
    if (result.status !== 'completed') throw new Error(`a run stopped: ${JSON.stringify(result.stop)}`);
  }
  return { calls, refused };
}

// Warm up (scripts loaded, connection and JIT warm), then wait for the go.
await warden.run({ userId: `warm_${task.worker}`, tenantId: 'acme' }, async (run) => {
  for (let i = 0; i < 50; i++) {
    expectOk(await run.tool('search_docs', readArgs(-1 - i)));
    expectOk(await run.tool('send_email', writeArgs(-1 - i - task.worker * 1_000)));
  }
});
await new Promise<void>((resolve) => {
  process.stdin.once('data', () => {
    process.stdin.destroy();
    resolve();
  });
  write({ ready: true });
});
const started = performance.now();
const until = started + task.durationMs;
const lanes = await Promise.all(Array.from({ length: task.concurrency }, (_, lane) => loop(lane, until)));
const done: RedisWorkerResult = {
  calls: lanes.reduce((a, l) => a + l.calls, 0),
  refused: lanes.reduce((a, l) => a + l.refused, 0),
  ms: performance.now() - started,
};
await warden.close();
await client.quit();
write({ done });
process.exit(0);
