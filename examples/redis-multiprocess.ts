// agent-warden on Redis: three worker processes share one user's daily budget, race one idempotent
// refund, and are all stopped by a kill issued from this process.
//
//   npx tsx examples/redis-multiprocess.ts
//
// Needs a Redis: AGENT_WARDEN_REDIS_URL, or `redis-server` on PATH (then one is started here on a random
// loopback port, and stopped at the end). With neither, the example says so and exits 0. See docs/redis.md.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createWarden, type RunStopInfo } from 'agent-warden';
import { redisStore } from 'agent-warden/redis';
import { Redis } from 'ioredis';
import type { WorkerTask } from './_redis-worker.js';

const WORKER = fileURLToPath(new URL('./_redis-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORKERS = ['A', 'B', 'C'];
const USER = { userId: 'u_42', tenantId: 'acme' };
/** Another user for parts 2 and 3, whose budget part 1 has not spent. */
const OTHER = { userId: 'u_7', tenantId: 'acme' };
const DAILY = { toolCalls: 60, tokens: 600 };

// ---- A Redis to talk to ---------------------------------------------------------------------------

interface Target {
  url: string;
  origin: string;
  stop(): Promise<void>;
}

async function findRedis(): Promise<Target | null> {
  const given = process.env.AGENT_WARDEN_REDIS_URL;
  if (given) return { url: given, origin: 'from AGENT_WARDEN_REDIS_URL', stop: async () => {} };
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  server.stdout!.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    origin: 'started here, on a random port',
    stop: () =>
      new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      }),
  };
}

// ---- Workers ----------------------------------------------------------------------------------------

interface Running {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  /** The first line with this field. */
  line(field: string): Promise<Record<string, unknown>>;
}

function startWorker(task: WorkerTask): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(task)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  const waiting = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
    for (const wake of waiting) wake();
  });
  child.once('exit', () => {
    for (const wake of waiting) wake();
  });
  const line = (field: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = lines.find((l) => field in l);
        if (found) resolve(found);
        else if (child.exitCode !== null)
          reject(new Error(`worker exited (${child.exitCode}) without '${field}'`));
        else return;
        waiting.delete(check);
      };
      waiting.add(check);
      check();
    });
  return { child, lines, line };
}

/** Start workers, wait until each is ready, then let them all go at once; resolves with their reports. */
async function race(tasks: WorkerTask[]): Promise<Array<Record<string, unknown>>> {
  const workers = tasks.map(startWorker);
  await Promise.all(workers.map((worker) => worker.line('ready')));
  for (const worker of workers) worker.child.stdin!.end('go\n');
  return Promise.all(
    workers.map(async (worker) => (await worker.line('done')).done as Record<string, unknown>),
  );
}

// ---- The example ----------------------------------------------------------------------------------

const target = await findRedis();
if (!target) {
  console.log(
    'examples/redis-multiprocess.ts skipped: no Redis reachable. Set AGENT_WARDEN_REDIS_URL, or install ' +
      'redis-server (apt-get install redis-server) so the example can start one.',
  );
  process.exit(0);
}

const client = new Redis(target.url, {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1_000,
  retryStrategy: (times) => Math.min(times * 100, 2_000),
});
client.on('error', () => {});
const prefix = `example-${randomUUID().slice(0, 8)}`;
const store = redisStore({ client, prefix });
const warden = createWarden({ store, budgets: { user: { ...DAILY, window: 'day' } } });

try {
  await client.connect();
} catch (error) {
  console.log(
    `examples/redis-multiprocess.ts skipped: the Redis at ${target.url} (${target.origin}) is not reachable: ` +
      (error instanceof Error ? error.message : String(error)),
  );
  await target.stop();
  process.exit(0);
}

try {
  console.log(`agent-warden on Redis — ${target.url} (${target.origin}), key prefix '${prefix}'\n`);
  const task = (part: WorkerTask['part'], name: string, user = USER): WorkerTask => ({
    part,
    url: target.url,
    prefix,
    name,
    user,
    daily: DAILY,
    refundKey: 'refund-ord_1001-2025-03-10',
  });

  // 1. Three processes spend one user's daily budget together.
  const budget = await race(WORKERS.map((name) => task('budget', name)));
  const [calls, tokens] = await store.budgetUsage([
    { key: `user:${USER.tenantId}:${USER.userId}:toolCalls`, window: 'day' },
    { key: `user:${USER.tenantId}:${USER.userId}:tokens`, window: 'day' },
  ]);
  console.log(
    `1. One daily budget for user ${USER.userId} (${DAILY.toolCalls} tool calls, ${DAILY.tokens} tokens), three processes`,
  );
  for (const [i, done] of budget.entries()) {
    const report = done as { toolCalls: number; modelCalls: number; stop: RunStopInfo };
    const why =
      report.stop.code === 'budget_exceeded'
        ? `${report.stop.scope} ${report.stop.dimension}`
        : report.stop.code;
    console.log(
      `   worker ${WORKERS[i]}: ${report.modelCalls} model calls, ${report.toolCalls} tool calls, then stopped (${why})`,
    );
  }
  console.log(
    `   shared total: ${calls!.used} of ${DAILY.toolCalls} tool calls, ${tokens!.used} of ${DAILY.tokens} tokens — ` +
      `${calls!.used <= DAILY.toolCalls && tokens!.used <= DAILY.tokens ? 'never more' : 'OVERSPENT'}\n`,
  );

  // 2. Three processes race one refund with the same idempotency key.
  const refunds = await race(WORKERS.map((name) => task('refund', name, OTHER)));
  const executed = Number(await client.get(`{${prefix}:example}:refunds`));
  console.log('2. One refund, same idempotency key, raced by three processes');
  for (const [i, done] of refunds.entries()) {
    console.log(`   worker ${WORKERS[i]}: ${done.outcome}`);
  }
  console.log(`   the refund ran ${executed} time${executed === 1 ? '' : 's'}\n`);

  // 3. A kill from this process stops the runs in every worker at their next guarded call.
  const victims = WORKERS.map((name) => startWorker(task('until-killed', name, OTHER)));
  await Promise.all(victims.map((victim) => victim.line('running')));
  const killedAt = Date.now();
  await warden.kill({ userId: OTHER.userId }, { reason: 'incident #7: runaway agent' });
  const stopped = await Promise.all(victims.map((victim) => victim.line('done')));
  console.log(`3. warden.kill({ userId: '${OTHER.userId}' }) from this process`);
  for (const [i, { done }] of stopped.entries()) {
    const report = done as { calls: number; stoppedAt: number; stop: RunStopInfo | null };
    console.log(
      `   worker ${WORKERS[i]}: stopped with '${report.stop?.code}' after ${report.calls} tool calls, ` +
        `${Math.max(0, report.stoppedAt - killedAt)} ms after the kill`,
    );
  }
  await warden.revive({ userId: OTHER.userId });
} finally {
  // Leave nothing behind in a shared Redis: every key of this example is under its prefix.
  if (client.status === 'ready') {
    for await (const keys of client.scanStream({ match: `{${prefix}:*`, count: 500 })) {
      if ((keys as string[]).length > 0) await client.del(...(keys as string[]));
    }
  }
  await warden.close();
  client.disconnect();
  await target.stop();
}
