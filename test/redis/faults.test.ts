import type { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createWarden, defineTool } from '../../src/index.js';
import { redisStore } from '../../src/redis/index.js';
import { type OwnServer, startOwnServer } from './own-server.js';
import { killAll, release, startWorker, type Worker } from './processes.js';
import { connect, describeRedis, freshPrefix, sleep } from './support.js';

describeRedis('redisStore faults', (url) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  const workers: Worker[] = [];
  afterEach(async () => {
    killAll(workers);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function ownServer(): Promise<OwnServer> {
    const server = await startOwnServer();
    cleanups.push(() => server.dispose());
    return server;
  }
  async function client(target: string, options: Parameters<typeof connect>[1] = {}): Promise<Redis> {
    const c = await connect(target, options);
    cleanups.push(() => c.disconnect());
    return c;
  }
  /** A write tool that records every execution, and can run a hook while it executes. */
  function chargeTool() {
    const executed: number[] = [];
    const during: { hook?: () => Promise<void> } = {};
    const tool = defineTool({
      name: 'charge',
      description: 'Charges once per id',
      input: z.object({ id: z.number() }),
      execute: async ({ id }) => {
        executed.push(id);
        const hook = during.hook;
        during.hook = undefined;
        await hook?.();
        return { charged: id };
      },
    });
    return { tool, executed, during };
  }

  it('Redis stopped mid-run: write tools fail closed; nothing executes twice after it comes back', async () => {
    const server = await ownServer();
    const redis = await client(server.url, { commandTimeout: 500 });
    const { tool, executed, during } = chargeTool();
    const warden = createWarden({
      tools: [tool],
      store: redisStore({ client: redis, prefix: freshPrefix('crash') }),
      budgets: { user: { toolCalls: 100, window: 'day' } },
      limits: { storeTimeoutMs: 1_000 },
    });
    cleanups.push(() => warden.close());
    // The session is the idempotency scope, so the same calls in a later run have the same keys.
    const identity = { userId: 'u1', sessionId: 's1' };

    const first = await warden.run(identity, async (run) => {
      const one = await run.tool('charge', { id: 1 });
      // Redis crashes while call 2 executes: the call ran, but its completion cannot be written.
      during.hook = () => server.kill();
      const two = await run.tool('charge', { id: 2 });
      const started = Date.now();
      const three = await run.tool('charge', { id: 3 });
      return { one, two, three, ms: Date.now() - started };
    });
    if (first.status !== 'completed') throw new Error(`the run stopped: ${first.stop.code}`);
    const { one, two, three, ms } = first.output;
    expect(one).toMatchObject({ ok: true, replayed: false });
    expect(two).toMatchObject({ ok: true, value: { charged: 2 } });
    expect(three).toMatchObject({ ok: false, error: { code: 'store_unavailable', retryable: true } });
    expect(ms).toBeLessThan(1_000);
    expect(executed).toEqual([1, 2]);

    // While Redis is down, a new run is refused with a clear code (its concurrency slot cannot be taken).
    const refused = await warden.run(identity, (run) => run.tool('charge', { id: 4 }));
    expect(refused).toMatchObject({ status: 'stopped', stop: { code: 'store_unavailable' } });

    await server.start();
    await waitUntil(async () => (await redis.ping().catch(() => null)) === 'PONG');
    const second = await warden.run(identity, async (run) => [
      await run.tool('charge', { id: 1 }),
      await run.tool('charge', { id: 2 }),
      await run.tool('charge', { id: 3 }),
    ]);
    if (second.status !== 'completed') throw new Error(`the run stopped: ${second.stop.code}`);
    const [again1, again2, again3] = second.output;
    // 1 completed before the crash: its stored result. 2 ran but was never completed: still in flight
    // (until its lease ends), not run again. 3 never ran: it runs now, once.
    expect(again1).toMatchObject({ ok: true, replayed: true, value: { charged: 1 } });
    expect(again2).toMatchObject({ ok: false, error: { code: 'idempotency_in_flight' } });
    expect(again3).toMatchObject({ ok: true, replayed: false, value: { charged: 3 } });
    expect(executed).toEqual([1, 2, 3]);
  });

  it('Redis too slow: calls fail closed within storeTimeoutMs; a run whose budget cannot be reserved stops', async () => {
    const server = await ownServer();
    const admin = await client(server.url);
    const { tool, executed } = chargeTool();
    // Two wardens on two connections (Redis serves one connection's commands in order, so a blocked
    // command holds up the ones after it on the same connection).
    const wardens = await Promise.all(
      [0, 1].map(async () => {
        const warden = createWarden({
          tools: [tool],
          store: redisStore({ client: await client(server.url, { commandTimeout: 2_000 }), prefix: 'slow' }),
          budgets: { user: { toolCalls: 100, tokens: 10_000, window: 'day' } },
          limits: { storeTimeoutMs: 300 },
        });
        cleanups.push(() => warden.close());
        return warden;
      }),
    );
    let paused!: () => void;
    const pause = new Promise<void>((resolve) => {
      paused = resolve;
    });
    const started: Array<Promise<void>> = [];
    const begin = () => {
      let signal!: () => void;
      started.push(new Promise<void>((resolve) => (signal = resolve)));
      return signal;
    };
    const timings: Record<string, number> = {};
    const [toolRun, modelRun] = [begin(), begin()];
    const results = Promise.all([
      wardens[0]!.run({ userId: 'u1' }, async (run) => {
        toolRun();
        await pause;
        const at = Date.now();
        const outcome = await run.tool('charge', { id: 1 });
        timings.tool = Date.now() - at;
        return outcome;
      }),
      wardens[1]!.run({ userId: 'u2' }, async (run) => {
        modelRun();
        await pause;
        const at = Date.now();
        try {
          await run.model({ model: 'm' }, async () => ({}), {
            usage: () => ({ inputTokens: 1, outputTokens: 1 }),
          });
        } finally {
          timings.model = Date.now() - at;
        }
      }),
    ]);
    await Promise.all(started);
    // Scripts (every budget, idempotency and slot operation) now block; plain reads still answer.
    await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    paused();
    const [toolResult, modelResult] = await results;
    await admin.call('CLIENT', 'UNPAUSE');

    // The write tool fails closed (its tool-call budget could not be reserved) and does not run.
    expect(toolResult).toMatchObject({
      status: 'completed',
      output: { ok: false, error: { code: 'store_unavailable', details: { operation: 'reserve' } } },
    });
    expect(executed).toEqual([]);
    // The model call's budgets could not be reserved: the run stops with a clear code.
    expect(modelResult).toMatchObject({
      status: 'stopped',
      stop: { code: 'store_unavailable', operation: 'reserve' },
    });
    // Nothing waits longer than the configured timeout (plus scheduling slack).
    expect(timings.tool).toBeLessThan(300 + 200);
    expect(timings.model).toBeLessThan(300 + 200);
  });

  it("a crashed process's reservation and claim expire with their leases", async () => {
    const redis = await client(url);
    const prefix = freshPrefix('crashed');
    const store = redisStore({ client: redis, prefix });
    const key = 'idem:-:u1:crashed-call';
    const holder = startWorker({
      scenario: 'hold',
      url,
      prefix,
      userId: 'u1',
      key,
      limit: 5,
      leaseMs: 1_500,
    });
    workers.push(holder);
    const held = await holder.next('held');
    expect(held).toMatchObject({ reserved: { ok: true }, claimed: { status: 'claimed' } });
    holder.child.kill('SIGKILL');
    await holder.exited;

    const item = { key: 'user:-:u1:toolCalls', window: 'day' as const, limit: 5, amount: 1 };
    const reserve = (id: string) => store.reserve({ reservationId: id, items: [item], leaseMs: 60_000 });
    const claim = () => store.claim({ key, fingerprint: 'fp', owner: 'survivor', leaseMs: 60_000 });
    // Until the lease ends, the dead process's holds still count: fail closed, never overspend.
    expect(await reserve('r1')).toEqual({ ok: false, index: 0, used: 0, reserved: 5, limit: 5 });
    expect(await claim()).toEqual({ status: 'in_flight', fingerprint: 'fp' });

    await sleep(Math.max(0, (held.at as number) + 1_500 + 100 - Date.now()));
    expect(await store.budgetUsage([item])).toEqual([{ used: 0, reserved: 0 }]);
    expect(await reserve('r2')).toEqual({ ok: true });
    const taken = await claim();
    expect(taken).toMatchObject({ status: 'claimed' });
    const crashedFence = (held.claimed as { fence: number }).fence;
    expect((taken as { fence: number }).fence).toBeGreaterThan(crashedFence);
  });

  it('a stale owner in another process cannot complete or release a claim taken over', async () => {
    const redis = await client(url);
    const prefix = freshPrefix('stale');
    const store = redisStore({ client: redis, prefix });
    const key = 'idem:-:u1:stale-call';
    const stale = startWorker({
      scenario: 'stale-owner',
      url,
      prefix,
      userId: 'u1',
      key,
      leaseMs: 300,
      gate: true,
    });
    workers.push(stale);
    const { fence: staleFence } = await stale.next('claimed');
    await stale.next('ready');
    await sleep(450);
    const taken = await store.claim({ key, fingerprint: 'fp', owner: 'fresh', leaseMs: 60_000 });
    expect(taken).toMatchObject({ status: 'claimed' });
    const fence = (taken as { fence: number }).fence;
    expect(fence).toBeGreaterThan(staleFence as number);

    // The stale owner wakes up and tries to write its result, then to release: both refused.
    await release([stale]);
    expect(await stale.next('done')).toMatchObject({ completed: false, released: false });
    const record = { outcome: 'ok' as const, value: 'fresh', completedAt: Date.now() };
    expect(
      await store.complete({ key, owner: 'fresh', fence, state: 'completed', record, ttlMs: 60_000 }),
    ).toBe(true);
    expect(await store.claim({ key, fingerprint: 'fp', owner: 'late', leaseMs: 60_000 })).toMatchObject({
      status: 'completed',
      record: { value: 'fresh' },
    });
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}
