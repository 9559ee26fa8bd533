// A separate Node process for the multi-process and fault tests (test/redis/*.test.ts spawn it with
// `node --import tsx test/redis/worker.ts '<json>'`). It builds its own ioredis client and warden on the
// shared Redis and reports on stdout, one JSON object a line.
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createWarden, defineTool, type Run, RunStop } from '../../src/index.js';
import { redisStore } from '../../src/redis/index.js';

export interface WorkerInput {
  scenario:
    | 'budget'
    | 'idempotency'
    | 'request-approval'
    | 'approve'
    | 'execute-approved'
    | 'kill'
    | 'until-killed'
    | 'hold'
    | 'stale-owner';
  url: string;
  prefix: string;
  userId: string;
  tenantId?: string;
  /**
   * Wait at the contested part: report `ready`, then go on when the parent writes a line to stdin, so
   * that several processes race for real, whatever their start-up times.
   */
  gate?: boolean;
  /** Scenario settings. */
  limit?: number;
  runners?: number;
  key?: string;
  token?: string;
  leaseMs?: number;
}

const input = JSON.parse(process.argv[2]!) as WorkerInput;
const emit = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const waitForStart = async () => {
  if (!input.gate) return;
  const go = new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  emit({ type: 'ready' });
  await go;
  process.stdin.destroy();
};

const client = new Redis(input.url, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 2_000,
  lazyConnect: true,
  retryStrategy: (times) => Math.min(times * 50, 500),
});
client.on('error', () => {});
await client.connect();
const store = redisStore({ client, prefix: input.prefix });
/** Executions are counted in Redis, across processes, under the test's prefix. */
const executions = `{${input.prefix}:test}:executions`;

const count = defineTool({
  name: 'count',
  description: 'Counts one call',
  input: z.object({ n: z.number() }),
  effect: 'read',
  execute: async () => {
    await client.incr(executions);
    await sleep(Math.random() * 3);
    return { ok: true };
  },
});

const charge = defineTool({
  name: 'charge',
  description: 'A side effect that must happen once',
  input: z.object({ amount: z.number() }),
  approval: (args) => (args.amount > 100 ? 'confirm' : 'none'),
  execute: async (args) => {
    await client.incr(executions);
    await sleep(300);
    return { charged: args.amount, pid: process.pid };
  },
});

const warden = createWarden({
  tools: [count, charge],
  store,
  budgets: { user: { toolCalls: input.limit ?? 1_000, tokens: (input.limit ?? 1_000) * 10, window: 'day' } },
  limits: { concurrentRunsPerUser: 100, storeTimeoutMs: 2_000 },
  approvals: { secret: 'multi-process-test-secret-of-at-least-32-bytes' },
});
const identity = { userId: input.userId, ...(input.tenantId ? { tenantId: input.tenantId } : {}) };

async function budget(): Promise<void> {
  let modelCalls = 0;
  let toolCalls = 0;
  let n = 0;
  const runner = async () => {
    for (;;) {
      const result = await warden.run(identity, async (run: Run) => {
        for (;;) {
          // 10 tokens reserved (the estimate) and 10 spent; then one tool call.
          await run.model(
            { model: 'scripted', estimate: { inputTokens: 10 } },
            async () => ({ text: 'ok' }),
            { usage: () => ({ inputTokens: 10, outputTokens: 0 }) },
          );
          modelCalls++;
          const outcome = await run.tool('count', { n: n++ });
          if (outcome.ok) toolCalls++;
        }
      });
      // A run ends on a budget: its own (steps, start another) or the user's (the shared one is spent).
      if (result.status !== 'stopped') throw new Error('a budget run completed');
      if (result.stop.code !== 'budget_exceeded') throw new Error(`unexpected stop ${result.stop.code}`);
      if (result.stop.scope !== 'run') return;
    }
  };
  await waitForStart();
  await Promise.all(Array.from({ length: input.runners ?? 2 }, runner));
  emit({ type: 'done', modelCalls, toolCalls });
}

async function idempotency(): Promise<void> {
  await waitForStart();
  const result = await warden.run(identity, (run) =>
    run.tool('charge', { amount: 10 }, { idempotencyKey: input.key! }),
  );
  emit({ type: 'done', ...describe(result) });
}

async function requestApproval(): Promise<void> {
  const result = await warden.run(identity, (run) => run.tool('charge', { amount: 500 }));
  emit({ type: 'done', ...describe(result), pending: result.pending.map((p) => p.id) });
}

async function approve(): Promise<void> {
  const pending = await warden.pending({ userId: input.userId });
  const approved = await warden.approve(pending[0]!.id, { approver: `approver-${process.pid}` });
  emit({ type: 'done', pending: pending.map((p) => p.id), ...approved });
}

async function executeApproved(): Promise<void> {
  await waitForStart();
  const outcome = await warden.executeApproved(input.token!, identity);
  emit({
    type: 'done',
    ok: outcome.ok,
    ...(outcome.ok ? { value: outcome.value } : { error: outcome.error }),
  });
}

async function kill(): Promise<void> {
  const at = Date.now();
  await warden.kill({ userId: input.userId }, { reason: `killed by process ${process.pid}` });
  emit({ type: 'done', at });
}

async function untilKilled(): Promise<void> {
  let calls = 0;
  const result = await warden.run(identity, async (run) => {
    for (;;) {
      await run.tool('count', { n: calls++ });
      if (calls === 1) emit({ type: 'running' });
      await sleep(20);
    }
  });
  emit({ type: 'done', calls, stoppedAt: Date.now(), ...describe(result) });
}

/** Reserve a whole budget and claim a key with short leases, then hang until killed (a crash). */
async function hold(): Promise<void> {
  const leaseMs = input.leaseMs!;
  const item = {
    key: `user:-:${input.userId}:toolCalls`,
    window: 'day' as const,
    limit: input.limit!,
    amount: input.limit!,
  };
  const reserved = await store.reserve({ reservationId: `crash-${process.pid}`, items: [item], leaseMs });
  const claimed = await store.claim({
    key: input.key!,
    fingerprint: 'fp',
    owner: `crash-${process.pid}`,
    leaseMs,
  });
  emit({ type: 'held', reserved, claimed, at: Date.now() });
  await new Promise(() => {});
}

/** Claim with a short lease, stall past it, then try to complete: a stale owner. */
async function staleOwner(): Promise<void> {
  const owner = `stale-${process.pid}`;
  const claimed = await store.claim({ key: input.key!, fingerprint: 'fp', owner, leaseMs: input.leaseMs! });
  if (claimed.status !== 'claimed') throw new Error(`expected a claim, got ${claimed.status}`);
  emit({ type: 'claimed', fence: claimed.fence });
  await waitForStart();
  const completed = await store.complete({
    key: input.key!,
    owner,
    fence: claimed.fence,
    state: 'completed',
    record: { outcome: 'ok', value: 'stale', completedAt: Date.now() },
    ttlMs: 60_000,
  });
  const released = await store.release({ key: input.key!, owner, fence: claimed.fence });
  emit({ type: 'done', completed, released });
}

function describe(result: Awaited<ReturnType<typeof warden.run>>): Record<string, unknown> {
  if (result.status === 'stopped') return { status: 'stopped', stop: result.stop };
  const outcome = result.output as { ok: boolean; value?: unknown; replayed?: boolean; error?: unknown };
  return {
    status: 'completed',
    ok: outcome?.ok,
    ...(outcome?.ok ? { value: outcome.value, replayed: outcome.replayed } : { error: outcome?.error }),
  };
}

const scenarios: Record<WorkerInput['scenario'], () => Promise<void>> = {
  budget,
  idempotency,
  'request-approval': requestApproval,
  approve,
  'execute-approved': executeApproved,
  kill,
  'until-killed': untilKilled,
  hold,
  'stale-owner': staleOwner,
};

try {
  await scenarios[input.scenario]();
} catch (error) {
  emit({
    type: 'error',
    message: RunStop.isInstance(error) || error instanceof Error ? error.message : String(error),
  });
  process.exitCode = 1;
} finally {
  await warden.close();
  client.disconnect();
}
