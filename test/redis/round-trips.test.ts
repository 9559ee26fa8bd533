import { createHash } from 'node:crypto';
import type { Command, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createWarden, defineTool, type Run } from '../../src/index.js';
import { redisStore } from '../../src/redis/index.js';
import { SCRIPTS } from '../../src/redis/scripts/index.js';
import { connect, describeRedis, freshPrefix, hashTag } from './support.js';

const SCRIPT_BY_SHA = new Map(
  Object.entries(SCRIPTS).map(([name, lua]) => [createHash('sha1').update(lua).digest('hex'), name]),
);

/**
 * Counts what a client sends: commands, and round trips (a command sent while none is outstanding
 * starts a new one; commands sent together, e.g. one script per budget scope, share it).
 */
function traffic(client: Redis) {
  const rounds: string[][] = [];
  const keys: string[][] = [];
  let outstanding = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    if (outstanding === 0) rounds.push([]);
    outstanding++;
    const done = () => {
      outstanding--;
    };
    command.promise.then(done, done);
    const args = command.args.map(String);
    const script = command.name.startsWith('eval') ? SCRIPT_BY_SHA.get(args[0]!) : undefined;
    rounds.at(-1)!.push(script ?? command.name);
    keys.push(script ? args.slice(2, 2 + Number(args[1])) : args.slice(0, 1));
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as Redis['sendCommand'];
  return {
    rounds,
    keys,
    reset() {
      rounds.length = 0;
      keys.length = 0;
    },
  };
}

// How many times one guarded call talks to Redis (docs/redis.md, "Round trips per call").
// Run: npx vitest run test/redis/round-trips.test.ts
describeRedis('redisStore round trips', (url) => {
  let client: Redis;
  beforeAll(async () => {
    client = await connect(url);
  });
  afterAll(async () => {
    await client.quit();
  });

  it('counts the round trips of a write tool call, a read tool call and a model call', async () => {
    const seen = traffic(client);
    const pipelines = vi.spyOn(client, 'pipeline');
    const send = defineTool({
      name: 'send_email',
      description: 'Sends an email',
      input: z.object({ to: z.string() }),
      execute: async () => ({ id: 'm1' }),
    });
    const search = defineTool({
      name: 'search',
      description: 'Searches',
      input: z.object({ q: z.string() }),
      effect: 'read',
      execute: async () => ({ hits: [] }),
    });
    const warden = createWarden({
      tools: [send, search],
      store: redisStore({ client, prefix: freshPrefix('round-trips') }),
      // Scoped budgets on two scopes, limiting tool calls and tokens.
      budgets: {
        user: { toolCalls: 1_000, tokens: 1_000_000, window: 'day' },
        tenant: { toolCalls: 100_000, tokens: 100_000_000, window: 'month' },
      },
    });
    const measured: Record<string, string[][]> = {};
    const piped: Record<string, number> = {};
    const measure = async (name: string, call: () => Promise<unknown>) => {
      seen.reset();
      pipelines.mockClear();
      await call();
      measured[name] = seen.rounds.map((round) => [...round]);
      piped[name] = pipelines.mock.calls.length;
    };
    const model = (run: Run) =>
      run.model({ model: 'm', estimate: { inputTokens: 10 } }, async () => ({}), {
        usage: () => ({ inputTokens: 10, outputTokens: 5 }),
      });
    const result = await warden.run({ userId: 'u1', tenantId: 't1' }, async (run: Run) => {
      // Warm up: every script has been sent once on this connection.
      await run.tool('send_email', { to: 'warm@example.com' });
      await model(run);
      await measure('write tool', () => run.tool('send_email', { to: 'a@example.com' }));
      await measure('read tool', () => run.tool('search', { q: 'refunds' }));
      await measure('model call', () => model(run));
    });
    await warden.close();
    expect(result.status).toBe('completed');

    // Without scoped budgets: the kill check, and the idempotency claim and completion of a write tool.
    const plain = createWarden({
      tools: [send, search],
      store: redisStore({ client, prefix: freshPrefix('plain') }),
    });
    await plain.run({ userId: 'u1' }, async (run: Run) => {
      await run.tool('send_email', { to: 'warm@example.com' });
      await measure('write tool, no scoped budgets', () => run.tool('send_email', { to: 'b@example.com' }));
      await measure('read tool, no scoped budgets', () => run.tool('search', { q: 'refunds' }));
      await measure('model call, no scoped budgets', () =>
        run.model({ model: 'm' }, async () => ({}), { usage: () => ({ inputTokens: 1, outputTokens: 1 }) }),
      );
    });
    await plain.close();

    // A budget past its warning ratio: the first call of a run that sees it consumes the warning's
    // single-use marker (one more round trip, once per run and window); the calls after it do not.
    const warned = createWarden({
      tools: [search],
      store: redisStore({ client, prefix: freshPrefix('warned') }),
      budgets: { user: { toolCalls: 2, window: 'day' }, warnAt: 0.5 },
    });
    await warned.run({ userId: 'u1' }, async (run: Run) => {
      await measure('read tool crossing warnAt', () => run.tool('search', { q: 'one' }));
      await measure('read tool past warnAt', () => run.tool('search', { q: 'two' }));
    });
    await warned.close();
    pipelines.mockRestore();

    const table = Object.entries(measured).map(
      ([name, rounds]) =>
        `${name}: ${rounds.length} round trips, ${rounds.flat().length} commands — ${rounds.map((r) => r.join(' + ')).join(' → ')}`,
    );
    console.log(
      `round trips per call (with user + tenant scoped budgets unless noted):\n  ${table.join('\n  ')}`,
    );

    // One round trip before execute (kill + budget + claim), one after (settle + complete).
    expect(measured['write tool']).toEqual([
      ['hmget', 'reserve', 'reserve', 'claim'], // kill switch, tool-call budget (one script per scope), claim
      ['settle', 'settle', 'complete'], // tool-call budget (answers the levels for warnings), idempotency
    ]);
    expect(measured['read tool']).toEqual([
      ['hmget', 'reserve', 'reserve'],
      ['settle', 'settle'],
    ]);
    expect(measured['model call']).toEqual([
      ['hmget', 'reserve', 'reserve'],
      ['settle', 'settle'],
    ]);
    // Each batch of several commands is one pipeline (a single settle spanning two scopes is one too).
    expect(piped).toMatchObject({ 'write tool': 2, 'read tool': 2, 'model call': 2 });

    // Every command, script or not, touches keys of one hash tag only (Redis Cluster).
    for (const keys of seen.keys) expect(new Set(keys.map(hashTag)).size).toBe(1);

    expect(measured['write tool, no scoped budgets']).toEqual([['hmget', 'claim'], ['complete']]);
    expect(measured['read tool, no scoped budgets']).toEqual([['hmget']]);
    expect(measured['model call, no scoped budgets']).toEqual([['hmget']]);

    expect(measured['read tool crossing warnAt']).toEqual([['hmget', 'reserve'], ['settle'], ['set']]);
    expect(measured['read tool past warnAt']).toEqual([['hmget', 'reserve'], ['settle']]);
  });
});
