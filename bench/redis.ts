// (7) Redis: round trips per tool call, and throughput from 1 and 4 processes, against a local
// redis-server started here on a random 127.0.0.1 port (or AGENT_WARDEN_REDIS_URL). Without either,
// says so and exits 0.
//
//   node --import tsx bench/redis.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { redisStore } from 'agent-warden/redis';
import { type Command, Redis } from 'ioredis';
import {
  freePort,
  redisServerVersion,
  spawnRedisServer,
  stopRedisServer,
} from '../test/support/spawn-redis.js';
import { benchWarden, expectOk, readArgs, writeArgs } from './fixtures.js';
import { formatNs, main, printTable, QUICK, Reporter } from './harness.js';
import type { RedisWorkerResult, RedisWorkerTask } from './redis-worker.js';

/** Target (7): round trips to Redis per tool call. */
const TARGET_ROUND_TRIPS = 2;
const WORKER = fileURLToPath(new URL('./redis-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Server {
  url: string;
  origin: string;
  stop(): Promise<void>;
}

/** AGENT_WARDEN_REDIS_URL, or a throwaway redis-server (no persistence); null when neither is there. */
async function startRedis(): Promise<Server | null> {
  const given = process.env.AGENT_WARDEN_REDIS_URL;
  if (given) return { url: given, origin: 'AGENT_WARDEN_REDIS_URL', stop: async () => {} };
  const version = redisServerVersion();
  if (version === null) return null;
  const port = await freePort();
  const server = await spawnRedisServer(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    origin: `redis-server ${version} started here on port ${port}`,
    stop: () => stopRedisServer(server),
  };
}

async function connect(url: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * Counts what a client sends: commands, and round trips (a command sent while none is outstanding
 * starts a new round trip; commands sent together share it) — as test/redis/round-trips.test.ts does.
 */
function countTraffic(client: Redis) {
  let rounds = 0;
  let commands = 0;
  let outstanding = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    if (outstanding === 0) rounds++;
    outstanding++;
    commands++;
    const settled = () => {
      outstanding--;
    };
    command.promise.then(settled, settled);
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as Redis['sendCommand'];
  return {
    take() {
      const taken = { rounds, commands };
      rounds = 0;
      commands = 0;
      return taken;
    },
  };
}

const SCOPED = {
  user: { toolCalls: 1_000_000_000, window: 'day' as const },
  tenant: { toolCalls: 1_000_000_000, window: 'month' as const },
};

async function roundTrips(report: Reporter, url: string): Promise<void> {
  const client = await connect(url);
  const traffic = countTraffic(client);
  const calls = QUICK ? 50 : 200;
  const rows = [['tool call', 'budgets', 'round trips / call', 'commands / call', 'wall / call']];
  for (const scoped of [false, true]) {
    const warden = benchWarden({
      store: redisStore({ client, prefix: `bench-${randomUUID().slice(0, 8)}` }),
      ...(scoped ? { budgets: SCOPED } : {}),
    });
    await warden.run({ userId: 'u1', tenantId: 't1' }, async (run) => {
      // Warm-up: every script loaded on this connection.
      expectOk(await run.tool('search_docs', readArgs(-1)));
      expectOk(await run.tool('send_email', writeArgs(-1)));
      for (const kind of ['read', 'write'] as const) {
        traffic.take();
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) {
          // Interleave a call of the other tool (not counted), so identical tools never repeat back to back.
          expectOk(
            kind === 'read'
              ? await run.tool('search_docs', readArgs(i))
              : await run.tool('send_email', writeArgs(i)),
          );
        }
        const ns = ((performance.now() - t0) * 1e6) / calls;
        const { rounds, commands } = traffic.take();
        const perCall = rounds / calls;
        const budgets = scoped ? 'user + tenant scoped' : 'run only (default)';
        rows.push([kind, budgets, perCall.toFixed(2), (commands / calls).toFixed(2), formatNs(ns)]);
        report.target({
          id: '(7)',
          what: `Redis round trips per ${kind} tool call, ${budgets}`,
          target: `≤ ${TARGET_ROUND_TRIPS}`,
          measured: perCall.toFixed(2),
          met: perCall <= TARGET_ROUND_TRIPS + 1e-9,
        });
      }
    });
    await warden.close();
  }
  printTable(rows);
  await client.quit();
}

interface Worker {
  child: ChildProcess;
  line(field: string): Promise<Record<string, unknown>>;
}

function startWorker(task: RedisWorkerTask): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(task)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiting = new Set<() => void>();
  let buffer = '';
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
          reject(new Error(`a redis worker exited (${child.exitCode}) without '${field}'`));
        else return;
        waiting.delete(check);
      };
      waiting.add(check);
      check();
    });
  return { child, line };
}

/** Start `processes` workers, let them go together, and sum their calls per second. */
async function throughput(
  url: string,
  processes: number,
  mode: RedisWorkerTask['mode'],
): Promise<{ perSecond: number; perCallNs: number; refused: number }> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const concurrency = 8;
  const workers = Array.from({ length: processes }, (_, worker) =>
    startWorker({ url, prefix, mode, scoped: false, durationMs: QUICK ? 500 : 3_000, concurrency, worker }),
  );
  await Promise.all(workers.map((w) => w.line('ready')));
  for (const w of workers) w.child.stdin!.end('go\n');
  const results = await Promise.all(
    workers.map(async (w) => (await w.line('done')).done as RedisWorkerResult),
  );
  await Promise.all(
    workers.map((w) =>
      w.child.exitCode !== null ? undefined : new Promise((resolve) => w.child.once('exit', resolve)),
    ),
  );
  const perSecond = results.reduce((a, r) => a + (r.calls / r.ms) * 1_000, 0);
  const refused = results.reduce((a, r) => a + r.refused, 0);
  // Mean latency of one call as its loop saw it.
  const perCallNs = (1e9 / perSecond) * processes * concurrency;
  return { perSecond, perCallNs, refused };
}

main(async () => {
  const report = new Reporter('redis', '(7) Redis store: round trips and throughput per tool call');
  const server = await startRedis();
  if (!server) {
    console.log(
      '   skipped: redis-server is not installed and AGENT_WARDEN_REDIS_URL is not set ' +
        '(apt-get install redis-server, or point AGENT_WARDEN_REDIS_URL at a Redis)',
    );
    report.info({ id: '(7)', what: 'Redis round trips and throughput', measured: 'skipped (no Redis)' });
    await report.done();
    return;
  }
  try {
    console.log(`   Redis: ${server.origin}`);
    await roundTrips(report, server.url);
    const rows = [['calls', 'processes', 'calls / s (all processes)', 'latency / call', 'refused']];
    const figures: Record<string, number> = {};
    for (const mode of ['incr', 'guarded'] as const) {
      for (const processes of [1, 4]) {
        const r = await throughput(server.url, processes, mode);
        figures[`${mode}${processes}`] = r.perSecond;
        rows.push([
          mode === 'incr' ? 'one INCR (1 round trip, baseline)' : 'run.tool, read/write alternating',
          String(processes),
          Math.round(r.perSecond).toLocaleString('en'),
          formatNs(r.perCallNs),
          String(r.refused),
        ]);
      }
    }
    console.log('   throughput: 8 concurrent loops per process, default budgets (no scoped budgets)');
    printTable(rows);
    for (const processes of [1, 4]) {
      const guarded = figures[`guarded${processes}`]!;
      const incr = figures[`incr${processes}`]!;
      report.figure(`redis tool calls/s, ${processes} process(es)`, Math.round(guarded).toLocaleString('en'));
      report.info({
        id: '(7)',
        what: `Redis throughput, ${processes} process${processes > 1 ? 'es' : ''}`,
        measured: `${Math.round(guarded).toLocaleString('en')} tool calls/s = ${(guarded / incr).toFixed(2)}× the INCR rate (${Math.round(incr).toLocaleString('en')}/s)`,
      });
    }
  } finally {
    await server.stop();
  }
  await report.done();
});
