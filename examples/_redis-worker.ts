// One worker process of examples/redis-multiprocess.ts (the leading underscore keeps the example runner
// from running it on its own). Each worker builds its own ioredis client and warden on the shared Redis,
// does the part it is told, and reports one JSON line on stdout.
import { createWarden, defineTool, type RunResult, type ToolOutcome } from 'agent-warden';
import { redisStore } from 'agent-warden/redis';
import { Redis } from 'ioredis';
import { z } from 'zod';

/** What examples/redis-multiprocess.ts asks of a worker. */
export interface WorkerTask {
  part: 'budget' | 'refund' | 'until-killed';
  url: string;
  prefix: string;
  name: string;
  user: { userId: string; tenantId: string };
  /** The user's shared daily budget. */
  daily: { toolCalls: number; tokens: number };
  refundKey: string;
}

const task = JSON.parse(process.argv[2]!) as WorkerTask;
const USER = task.user;
const report = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
/** Say `ready`, then wait for the go (a line on stdin), so that all workers start together. */
const ready = () =>
  new Promise<void>((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.destroy();
      resolve();
    });
    report({ ready: true });
  });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// The client options docs/redis.md recommends: never queue, never hang, reconnect in the background.
const client = new Redis(task.url, {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1_000,
  retryStrategy: (times) => Math.min(times * 100, 2_000),
});
client.on('error', () => {});
await client.connect();
/** How many times the refund really ran, across processes. */
const refunds = `{${task.prefix}:example}:refunds`;

const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Find an order by id',
  input: z.object({ orderId: z.string() }),
  effect: 'read',
  execute: async ({ orderId }) => ({ orderId, status: 'delivered' }),
});

const refundOrder = defineTool({
  name: 'refund_order',
  description: 'Refund an order',
  input: z.object({ orderId: z.string(), amount: z.number().positive() }),
  execute: async ({ orderId, amount }) => {
    await client.incr(refunds);
    await sleep(300); // the payment provider takes its time
    return { refundId: 'rf_7', orderId, amount, by: task.name };
  },
});

const warden = createWarden({
  agent: { name: 'support-bot' },
  tools: [lookupOrder, refundOrder],
  store: redisStore({ client, prefix: task.prefix }),
  budgets: { user: { ...task.daily, window: 'day' } },
  limits: { concurrentRunsPerUser: 20, storeTimeoutMs: 2_000 },
});

/** Model calls (10 tokens reserved from the estimate, then 10 spent) and tool calls until the user's budget is spent. */
async function budget() {
  let toolCalls = 0;
  let modelCalls = 0;
  let stop: RunResult<unknown> | undefined;
  await ready();
  while (!stop) {
    const result = await warden.run(USER, async (run) => {
      for (let n = 0; ; n++) {
        await run.model({ model: 'scripted', estimate: { inputTokens: 10 } }, async () => ({}), {
          usage: () => ({ inputTokens: 8, outputTokens: 2 }),
        });
        modelCalls++;
        if ((await run.tool('lookup_order', { orderId: `ord_${n}` })).ok) toolCalls++;
      }
    });
    // A run stops at its own step limit (start another) or at the user's shared budget (done).
    if (result.status === 'stopped' && result.stop.code === 'budget_exceeded' && result.stop.scope === 'run')
      continue;
    stop = result;
  }
  return { toolCalls, modelCalls, stop: stop.status === 'stopped' ? stop.stop : null };
}

async function refund() {
  await ready();
  const result = await warden.run(USER, (run) =>
    run.tool('refund_order', { orderId: 'ord_1001', amount: 40 }, { idempotencyKey: task.refundKey }),
  );
  const outcome = result.status === 'completed' ? (result.output as ToolOutcome) : null;
  return outcome?.ok
    ? { outcome: outcome.replayed ? 'replayed' : 'executed', value: outcome.value }
    : { outcome: outcome ? outcome.error.code : 'stopped' };
}

async function untilKilled() {
  let calls = 0;
  const result = await warden.run(USER, async (run) => {
    for (;;) {
      await run.tool('lookup_order', { orderId: `ord_${calls++}` });
      if (calls === 1) report({ running: true });
      await sleep(25);
    }
  });
  return { calls, stoppedAt: Date.now(), stop: result.status === 'stopped' ? result.stop : null };
}

const parts = { budget, refund, 'until-killed': untilKilled };
try {
  report({ done: await parts[task.part]() });
} finally {
  await warden.close();
  client.disconnect();
}
