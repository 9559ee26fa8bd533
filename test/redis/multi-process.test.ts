import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { redisStore } from '../../src/redis/index.js';
import { killAll, release, startWorker, type Worker } from './processes.js';
import { connect, describeRedis, freshPrefix } from './support.js';

// Several Node processes, each with its own ioredis client and warden, sharing one Redis (real time).
describeRedis('redisStore across processes', (url) => {
  let client: Redis;
  const workers: Worker[] = [];
  beforeAll(async () => {
    client = await connect(url);
  });
  afterEach(() => killAll(workers));
  afterAll(async () => {
    await client.quit();
  });

  const start = (input: Parameters<typeof startWorker>[0]) => {
    const worker = startWorker(input);
    workers.push(worker);
    return worker;
  };
  const executions = (prefix: string) => client.get(`{${prefix}:test}:executions`).then(Number);

  it('four processes sharing one user budget never overspend it and use at least 90 % of it', async () => {
    const prefix = freshPrefix('budget');
    const limit = 120;
    const processes = Array.from({ length: 4 }, () =>
      start({ scenario: 'budget', url, prefix, userId: 'u1', tenantId: 't1', limit, runners: 2, gate: true }),
    );
    await release(processes);
    const done = await Promise.all(processes.map((worker) => worker.next('done')));
    const toolCalls = done.reduce((sum, message) => sum + (message.toolCalls as number), 0);
    const modelCalls = done.reduce((sum, message) => sum + (message.modelCalls as number), 0);

    const store = redisStore({ client, prefix });
    const [calls, tokens] = await store.budgetUsage([
      { key: 'user:t1:u1:toolCalls', window: 'day' },
      { key: 'user:t1:u1:tokens', window: 'day' },
    ]);
    // Never overspent: neither what the tool did, nor what the store counted.
    expect(await executions(prefix)).toBe(toolCalls);
    expect(toolCalls).toBeLessThanOrEqual(limit);
    expect(calls!.used).toBeLessThanOrEqual(limit);
    expect(tokens!.used).toBeLessThanOrEqual(limit * 10);
    expect(modelCalls * 10).toBe(tokens!.used);
    expect(calls!.reserved + tokens!.reserved).toBe(0);
    // And still used: every process worked until the shared budget was spent.
    expect(toolCalls).toBeGreaterThanOrEqual(0.9 * limit);
    expect(tokens!.used).toBeGreaterThanOrEqual(0.9 * limit * 10);
    for (const message of done) expect(message.toolCalls).toBeGreaterThan(0);
  });

  it('two processes racing one idempotency key execute it once', async () => {
    const prefix = freshPrefix('idem');
    const key = `order-${prefix}-0001`;
    const racers = [0, 1].map(() =>
      start({ scenario: 'idempotency', url, prefix, userId: 'u1', key, gate: true }),
    );
    await release(racers);
    const results = await Promise.all(racers.map((worker) => worker.next('done')));
    expect(await executions(prefix)).toBe(1);
    const ok = results.filter((r) => r.ok === true && r.replayed === false);
    expect(ok).toHaveLength(1);
    // The other saw the call in flight (or, had it come later, the stored result).
    const other = results.find((r) => r !== ok[0])!;
    if (other.ok === true) expect(other.replayed).toBe(true);
    else expect(other.error).toMatchObject({ code: 'idempotency_in_flight' });

    // A third process afterwards gets the stored result; the tool does not run again.
    const late = await start({ scenario: 'idempotency', url, prefix, userId: 'u1', key }).next('done');
    expect(late).toMatchObject({ ok: true, replayed: true, value: ok[0]!.value });
    expect(await executions(prefix)).toBe(1);
  });

  it('an approval granted in process A is executed in process B exactly once', async () => {
    const prefix = freshPrefix('approval');
    const requested = await start({ scenario: 'request-approval', url, prefix, userId: 'u1' }).next('done');
    expect(requested).toMatchObject({ ok: false, error: { code: 'approval_required' } });
    const [pendingId] = requested.pending as string[];

    // Process A lists the pending approvals (stored by another process) and approves.
    const approved = await start({ scenario: 'approve', url, prefix, userId: 'u1' }).next('done');
    expect(approved).toMatchObject({ status: 'approved', pending: [pendingId] });
    const token = approved.token as string;

    // Processes B and C both try to execute it at the same instant: it runs once.
    const executors = [0, 1].map(() =>
      start({ scenario: 'execute-approved', url, prefix, userId: 'u1', token, gate: true }),
    );
    await release(executors);
    const results = await Promise.all(executors.map((worker) => worker.next('done')));
    expect(await executions(prefix)).toBe(1);
    expect(results.filter((r) => r.ok === true)).toHaveLength(1);
    const refused = results.find((r) => r.ok !== true)!;
    expect((refused.error as { code: string }).code).toMatch(/^(approval_invalid|idempotency_in_flight)$/);
  });

  it('a kill issued in process A stops a run in process B at its next guard step', async () => {
    const prefix = freshPrefix('kill');
    const victim = start({ scenario: 'until-killed', url, prefix, userId: 'u1' });
    await victim.next('running');
    const killed = await start({ scenario: 'kill', url, prefix, userId: 'u1' }).next('done');
    const stopped = await victim.next('done');
    expect(stopped).toMatchObject({ status: 'stopped', stop: { code: 'killed', scope: 'user:u1' } });
    expect((stopped.stop as { reason: string }).reason).toMatch(/^killed by process \d+$/);
    // B calls a tool every ~20 ms and reads the kill flag on each: it stops within a few steps.
    const delay = (stopped.stoppedAt as number) - (killed.at as number);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(1_000);
    const flag = await redisStore({ client, prefix }).findKill(['user:u1']);
    expect(flag).toMatchObject({ scope: 'user:u1' });
  });
});
