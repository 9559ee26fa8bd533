import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WardenConfigError } from '../../src/errors.js';
import { redisStore } from '../../src/redis/index.js';
import { COMMON_LUA } from '../../src/redis/scripts/common.js';
import { WINDOWS_LUA } from '../../src/redis/scripts/windows.js';
import { memoryStore } from '../../src/store/memory-store.js';
import type { BudgetWindow, Store } from '../../src/store/types.js';
import { windowBounds } from '../../src/store/windows.js';
import { connect, describeRedis, freshPrefix, hashTag, sleep } from './support.js';

describeRedis('redisStore on Redis', (url) => {
  let client: Redis;
  beforeAll(async () => {
    client = await connect(url);
  });
  afterAll(async () => {
    await client.quit();
  });
  const keysOf = async (prefix: string) =>
    (await client.keys('*')).filter((key) => key.startsWith(`{${prefix}:`)).sort();

  /** One of each kind of entry, with keys shaped as the warden makes them. */
  async function fill(store: Store): Promise<void> {
    await store.reserve({
      reservationId: 'run1:r1',
      items: [
        { key: 'user:t1:u1:toolCalls', window: 'day', limit: 10, amount: 1 },
        { key: 'tenant:t1:costUsd', window: 'month', limit: 10, amount: 0.5 },
        { key: 'session:t1:s1:steps', window: 'total', limit: 10, amount: 1 },
      ],
      leaseMs: 60_000,
    });
    await store.settle({
      reservationId: 'run1:r0',
      items: [
        { key: 'user:t1:u1:tokens', window: 'total', amount: 5 },
        { key: 'user:t1:u1:tokens', window: 'hour', amount: 5 },
      ],
    });
    await store.setKill({ scope: 'global', reason: 'test', at: 1 });
    await store.acquireSlot({ key: 'runs:t1:u1', holder: 'run1', limit: 2, leaseMs: 60_000 });
    await store.claim({ key: 'idem:t1:u1:abc', fingerprint: 'fp', owner: 'o', leaseMs: 60_000 });
    await store.consumeNonce('approval-nonce:n1', 60_000);
    await store.putRecord('approval:p1', { status: 'pending' }, 60_000);
  }

  it('keeps every key under a hash tag per scope', async () => {
    const p = freshPrefix('layout');
    await fill(redisStore({ client, prefix: p }));
    expect(await keysOf(p)).toEqual(
      [
        `{${p}:b:user:t1:u1}:toolCalls:day`,
        `{${p}:b:user:t1:u1}:r:run1:r1`,
        `{${p}:b:user:t1:u1}:tokens:total`,
        `{${p}:b:user:t1:u1}:tokens:hour`,
        `{${p}:b:user:t1:u1}:s:run1:r0`,
        `{${p}:b:tenant:t1}:costUsd:month`,
        `{${p}:b:tenant:t1}:r:run1:r1`,
        `{${p}:b:session:t1:s1}:steps:total`,
        `{${p}:b:session:t1:s1}:r:run1:r1`,
        `{${p}:k}`,
        `{${p}:s:runs:t1:u1}`,
        `{${p}:i:idem:t1:u1:abc}`,
        `{${p}:n:approval-nonce:n1}`,
        `{${p}:r}:data`,
        `{${p}:r}:exp`,
        `{${p}:r}:idx`,
      ].sort(),
    );
    // All dimensions and windows of one user share a slot; records share one; kills share one.
    const tags = new Set((await keysOf(p)).map(hashTag));
    expect([...tags].sort()).toEqual(
      [
        `${p}:b:user:t1:u1`,
        `${p}:b:tenant:t1`,
        `${p}:b:session:t1:s1`,
        `${p}:k`,
        `${p}:s:runs:t1:u1`,
        `${p}:i:idem:t1:u1:abc`,
        `${p}:n:approval-nonce:n1`,
        `${p}:r`,
      ].sort(),
    );
  });

  it('sets a TTL on every key but total budget counters and the kill flags', async () => {
    const p = freshPrefix('ttl');
    await fill(redisStore({ client, prefix: p }));
    const keys = await keysOf(p);
    const ttls = await Promise.all(keys.map(async (key) => [key, await client.pttl(key)] as const));
    for (const [key, ttl] of ttls) {
      if (key.endsWith(':total') || key === `{${p}:k}`) expect(ttl, key).toBe(-1);
      else expect(ttl, key).toBeGreaterThan(0);
    }
    // A day counter lives until the end of its UTC day plus a minute, by the server's clock.
    const [seconds] = await client.time();
    const end = windowBounds('day', Number(seconds) * 1_000).end!;
    const dayTtl = ttls.find(([key]) => key.endsWith(':toolCalls:day'))![1];
    expect(Math.abs(Number(seconds) * 1_000 + dayTtl - (end + 60_000))).toBeLessThan(2_000);
  });

  it('computes the calendar windows in Lua exactly as windowBounds() does', async () => {
    const lua = `${COMMON_LUA}${WINDOWS_LUA}
local id, finish = window_bounds(ARGV[1], tonumber(ARGV[2]))
return { id, finish and fmt_int(finish) or '' }`;
    const instants: number[] = [];
    // Random instants from 1901 to 2299, and the first and last millisecond of many windows.
    for (let i = 0; i < 300; i++) instants.push(Math.floor(Date.UTC(1901, 0) + Math.random() * 12.6e12));
    for (let year = 1968; year <= 2101; year += 7) {
      for (let month = 0; month < 12; month++) {
        const start = Date.UTC(year, month, 1);
        instants.push(start, start - 1, start + 3_600_000 - 1);
      }
    }
    instants.push(
      0,
      -1,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29),
      Date.UTC(2100, 1, 28),
    );
    const windows: BudgetWindow[] = ['hour', 'day', 'week', 'month', 'total'];
    const cases = instants.flatMap((now) => windows.map((window) => ({ now, window })));
    const replies = await Promise.all(
      cases.map(({ now, window }) => client.eval(lua, 0, window, String(now)) as Promise<[string, string]>),
    );
    for (const [i, { now, window }] of cases.entries()) {
      const expected = windowBounds(window, now);
      expect({ now, window, id: replies[i]![0], end: replies[i]![1] }).toEqual({
        now,
        window,
        id: expected.id,
        end: expected.end === null ? '' : String(expected.end),
      });
    }
  });

  it('falls back from EVALSHA to EVAL when the server lost its scripts (SCRIPT FLUSH)', async () => {
    const own = await connect(url);
    const monitor = await new Redis(url).monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (/^eval/i.test(args[0]!)) seen.push(args[0]!.toLowerCase());
    });
    try {
      const store = redisStore({ client: own, prefix: freshPrefix('evalsha') });
      const nonceLess = () => store.acquireSlot({ key: 'k', holder: 'h', limit: 1, leaseMs: 60_000 });
      expect(await nonceLess()).toBe(true);
      expect(await nonceLess()).toBe(true);
      await client.script('FLUSH');
      expect(await nonceLess()).toBe(true);
      expect(await nonceLess()).toBe(true);
      await sleep(100);
      // First use on a connection sends the script; then its SHA; after the flush the SHA is unknown
      // (NOSCRIPT), so the script is sent again, and then its SHA again.
      expect(seen).toEqual(['eval', 'evalsha', 'evalsha', 'eval', 'evalsha']);
    } finally {
      monitor.disconnect();
      own.disconnect();
    }
  });

  it('undoes the scopes that granted when another scope refuses (cross-scope reservation)', async () => {
    const store = redisStore({ client, prefix: freshPrefix('cross') });
    const user = { key: 'user:t1:u1:toolCalls', window: 'day' as const, limit: 10 };
    const tenant = { key: 'tenant:t1:toolCalls', window: 'month' as const, limit: 1 };
    await store.settle({ reservationId: 'earlier', items: [{ ...tenant, amount: 1 }] });
    const refused = await store.reserve({
      reservationId: 'r1',
      items: [
        { ...user, amount: 1 },
        { ...tenant, amount: 1 },
      ],
      leaseMs: 60_000,
    });
    expect(refused).toEqual({ ok: false, index: 1, used: 1, reserved: 0, limit: 1 });
    expect(await store.budgetUsage([user, tenant])).toEqual([
      { used: 0, reserved: 0 },
      { used: 1, reserved: 0 },
    ]);
  });

  it('never overspends any scope under concurrent cross-scope reservations', async () => {
    const store = redisStore({ client, prefix: freshPrefix('cross-race') });
    const tenant = { key: 'tenant:t1:toolCalls', window: 'day' as const, limit: 15 };
    const users = ['u1', 'u2', 'u3', 'u4'].map((u) => ({
      key: `user:t1:${u}:toolCalls`,
      window: 'day' as const,
      limit: 5,
    }));
    const attempts = users.flatMap((user, u) =>
      Array.from({ length: 10 }, (_, i) => ({ id: `r-${u}-${i}`, user })),
    );
    const results = await Promise.all(
      attempts.map(({ id, user }) =>
        store.reserve({
          reservationId: id,
          items: [
            { ...user, amount: 1 },
            { ...tenant, amount: 1 },
          ],
          leaseMs: 60_000,
        }),
      ),
    );
    const granted = attempts.filter((_, i) => results[i]!.ok);
    expect(granted.length).toBeLessThanOrEqual(15);
    expect(granted.length).toBeGreaterThan(0);
    const usage = await store.budgetUsage([tenant, ...users]);
    // Every hold left is a granted reservation; refused ones were undone in every scope.
    expect(usage[0]).toEqual({ used: 0, reserved: granted.length });
    for (const [u, user] of users.entries()) {
      const mine = granted.filter((attempt) => attempt.user === user).length;
      expect(mine).toBeLessThanOrEqual(5);
      expect(usage[u + 1]).toEqual({ used: 0, reserved: mine });
    }
  });

  it('settle frees every counter its reservation holds, even those it does not name', async () => {
    const store = redisStore({ client, prefix: freshPrefix('settle-all') });
    const [a, b] = ['user:t1:u1:tokens', 'tenant:t1:tokens'].map((key) => ({ key, window: 'day' as const }));
    await store.reserve({
      reservationId: 'r1',
      items: [
        { ...a!, limit: 10, amount: 8 },
        { ...b!, limit: 10, amount: 2 },
      ],
      leaseMs: 60_000,
    });
    await store.settle({ reservationId: 'r1', items: [{ ...a!, amount: 3 }] });
    expect(await store.budgetUsage([a!, b!])).toEqual([
      { used: 3, reserved: 0 },
      { used: 0, reserved: 0 },
    ]);
  });

  it('adds fractional amounts exactly as the memory store does', async () => {
    const stores = [redisStore({ client, prefix: freshPrefix('floats') }), memoryStore()];
    const amounts = [0.1, 0.2, 0.000_123_4, 1e-9, 3.3, 0.7];
    const results = await Promise.all(
      stores.map(async (store) => {
        for (const [i, amount] of amounts.entries()) {
          await store.settle({
            reservationId: `s${i}`,
            items: [{ key: 'user:t1:u1:costUsd', window: 'day', amount }],
          });
        }
        await store.reserve({
          reservationId: 'r',
          items: [{ key: 'user:t1:u1:costUsd', window: 'day', limit: 10, amount: 0.3 }],
          leaseMs: 60_000,
        });
        return store.budgetUsage([{ key: 'user:t1:u1:costUsd', window: 'day' }]);
      }),
    );
    expect(results[0]).toEqual(results[1]);
    expect(results[0]![0]!.used).toBe(amounts.reduce((sum, x) => sum + x, 0));
  });

  it('holds a reservation for its lease and no longer (real time)', async () => {
    const store = redisStore({ client, prefix: freshPrefix('lease') });
    const k = { key: 'user:t1:u1:steps', window: 'day' as const };
    await store.reserve({ reservationId: 'r1', items: [{ ...k, limit: 10, amount: 3 }], leaseMs: 400 });
    await sleep(200);
    expect(await store.budgetUsage([k])).toEqual([{ used: 0, reserved: 3 }]);
    await sleep(300);
    expect(await store.budgetUsage([k])).toEqual([{ used: 0, reserved: 0 }]);
  });

  it('renews a slot lease when the holder acquires again (real time)', async () => {
    const store = redisStore({ client, prefix: freshPrefix('renew') });
    const slot = (holder: string) => store.acquireSlot({ key: 'runs', holder, limit: 1, leaseMs: 400 });
    expect(await slot('h1')).toBe(true);
    await sleep(250);
    expect(await slot('h1')).toBe(true);
    await sleep(250); // past the first lease, inside the renewed one
    expect(await slot('h2')).toBe(false);
    await sleep(250);
    expect(await slot('h2')).toBe(true);
  });

  it('keeps a result over a custom maxResultBytes as a digest', async () => {
    const store = redisStore({ client, prefix: freshPrefix('oversized'), maxResultBytes: 64 });
    const claimed = await store.claim({ key: 'k', fingerprint: 'fp', owner: 'o', leaseMs: 60_000 });
    if (claimed.status !== 'claimed') throw new Error('expected a claim');
    const value = { text: 'x'.repeat(100) };
    const record = { outcome: 'ok' as const, value, completedAt: 5 };
    const completed = await store.complete({
      key: 'k',
      owner: 'o',
      fence: claimed.fence,
      state: 'completed',
      record,
      ttlMs: 60_000,
    });
    expect(completed).toBe(true);
    expect(await store.claim({ key: 'k', fingerprint: 'fp', owner: 'o2', leaseMs: 60_000 })).toEqual({
      status: 'completed',
      fingerprint: 'fp',
      record: {
        outcome: 'ok',
        completedAt: 5,
        oversized: true,
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        size: JSON.stringify(value).length,
      },
    });
  });

  it('refuses values it cannot store as JSON, writing nothing', async () => {
    const store = redisStore({ client, prefix: freshPrefix('json') });
    await expect(store.putRecord('r', () => 1, 60_000)).rejects.toThrow(/JSON/);
    expect(await store.getRecord('r')).toBeNull();
  });

  it('validates its options and its inputs like the memory store', async () => {
    expect(() => redisStore({ client, prefix: 'a{b' })).toThrow(WardenConfigError);
    expect(() => redisStore({ client, prefix: '' })).toThrow(/redisStore\.prefix/);
    expect(() => redisStore({ client, maxResultBytes: 0 })).toThrow(/redisStore\.maxResultBytes/);
    expect(() => redisStore({ client: {} as Redis })).toThrow(/redisStore\.client/);
    expect(() => memoryStore({ maxResultBytes: 1.5 })).toThrow(/memoryStore\.maxResultBytes/);
    const store = redisStore({ client, prefix: freshPrefix('validate') });
    const item = { key: 'a:b', window: 'day' as const, limit: 5, amount: 1 };
    await expect(store.reserve({ reservationId: 'r', items: [item], leaseMs: 0 })).rejects.toThrow(/leaseMs/);
    await expect(
      store.reserve({ reservationId: 'r', items: [{ ...item, amount: -1 }], leaseMs: 1_000 }),
    ).rejects.toThrow(/amount/);
    await expect(
      store.reserve({ reservationId: 'r', items: [{ ...item, window: 'year' as 'day' }], leaseMs: 1_000 }),
    ).rejects.toThrow(/window/);
    await expect(store.consumeNonce('n', Number.NaN)).rejects.toThrow(/ttlMs/);
    await expect(store.claim({ key: 'k', fingerprint: 'f', owner: 'o', leaseMs: -1 })).rejects.toThrow(
      /leaseMs/,
    );
    // An infinite limit is a limit like any other.
    expect(
      await store.reserve({
        reservationId: 'r',
        items: [{ ...item, limit: Number.POSITIVE_INFINITY, amount: 1e12 }],
        leaseMs: 1_000,
      }),
    ).toEqual({ ok: true });
  });

  it('passes failOpen through and keeps the client open on close()', async () => {
    const store = redisStore({ client, prefix: freshPrefix('close'), failOpen: { reads: true } });
    expect(store.failOpen).toEqual({ reads: true });
    expect(redisStore({ client }).failOpen).toBeUndefined();
    await store.close!();
    expect(await client.ping()).toBe('PONG');
  });
});
