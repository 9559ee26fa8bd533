import { createWarden, defineTool, memoryAudit, memoryStore, type Store } from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { z } from 'zod';
const err = (status: number) => Object.assign(new Error(`http ${status}`), { status });
let slow: (() => void) | undefined;
let runs = 0;
const pay = defineTool({
  name: 'pay', description: 'x', input: z.object({ a: z.number() }), timeoutMs: 1000,
  execute: async ({ a }, ctx) => {
    runs++;
    if (a === 1) await new Promise<void>((r) => { slow = r; });
    if (a === 2) throw err(400);
    if (a === 3) await new Promise(() => {});
    return { ok: a, key: ctx.idempotencyKey };
  },
});
const clock = createManualClock();
const audit = memoryAudit();
const w = createWarden({ tools: [pay], clock, audit });
await w.run({ sessionId: 's', userId: 'u', tenantId: 't' }, async (run) => {
  const p1 = run.tool('pay', { a: 1 });
  await new Promise((r) => setTimeout(r, 10));
  console.log('inflight', (await run.tool('pay', { a: 1 })).forModel());
  slow!();
  console.log('p1', (await p1).forModel());
  console.log('perm1', (await run.tool('pay', { a: 2 })).forModel());
  const o = await run.tool('pay', { a: 2 });
  console.log('perm2', o.forModel(), JSON.stringify(!o.ok && o.error.details));
  console.log('explicit', (await run.tool('pay', { a: 5 }, { idempotencyKey: 'order-1234567890-x' })).forModel());
  console.log('conflict', (await run.tool('pay', { a: 6 }, { idempotencyKey: 'order-1234567890-x' })).forModel());
  console.log('shortkey', (await run.tool('pay', { a: 6 }, { idempotencyKey: 'short' })).forModel());
});
await w.run({ sessionId: 's', userId: 'u2', tenantId: 't' }, async (run) => {
  const o = await run.tool('pay', { a: 5 }, { idempotencyKey: 'order-1234567890-x' });
  console.log('other user same key', o.ok && o.replayed, o.forModel());
});
// timeout → indeterminate (real timer 1s)
await w.run({ sessionId: 's2', userId: 'u' }, async (run) => {
  console.log('timeout', (await run.tool('pay', { a: 3 })).forModel());
  console.log('after timeout', (await run.tool('pay', { a: 3 })).forModel());
});
console.log('runs', runs);
console.log(audit.ofType('tool_intent').length, 'intents');
await w.close();

// audit failure
const bad = createWarden({ tools: [pay], audit: { write() { throw new Error('disk full'); } } });
await bad.run({}, async (run) => console.log('audit', (await run.tool('pay', { a: 9 })).forModel()));
await bad.close();
// store failure
const base = memoryStore();
const broken: Store = new Proxy(base, { get(t, p) { if (p === 'claim') return async () => { throw new Error('redis down'); }; const v = (t as any)[p]; return typeof v === 'function' ? v.bind(t) : v; } });
const w3 = createWarden({ tools: [pay], store: broken });
await w3.run({}, async (run) => console.log('store', (await run.tool('pay', { a: 9 })).forModel()));
await w3.close();
