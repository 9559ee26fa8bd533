import { createWarden, defineTool, memoryAudit } from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { z } from 'zod';
const err = (status: number) => Object.assign(new Error(`http ${status}`), { status });

// A: write tool with retries: 500 then 503 -> settlement?
let n = 0;
const pay = defineTool({
  name: 'pay', description: 'x', input: z.object({ a: z.number() }), retry: { retries: 1 },
  execute: async () => { n++; throw n === 1 ? err(500) : err(503); },
});
// B: TypeError classified transient by custom isTransient
let m = 0;
const t = defineTool({
  name: 't', description: 'x', input: z.object({}), effect: 'read', retry: { retries: 2, isTransient: () => true },
  execute: async () => { m++; throw new TypeError('boom'); },
});
// C: 4xx trips the breaker
let k = 0;
const c = defineTool({
  name: 'c', description: 'x', input: z.object({ i: z.number() }), effect: 'read',
  execute: async () => { k++; throw err(400); },
});
const clock = createManualClock();
const audit = memoryAudit();
const w = createWarden({ tools: [pay, t, c], clock, audit, random: () => 0 });
await w.run({ sessionId: 's' }, async (run) => {
  console.log('A1', (await run.tool('pay', { a: 1 })).forModel(), 'n=', n);
  console.log('A2', (await run.tool('pay', { a: 1 })).forModel(), 'n=', n);
  console.log('B', (await run.tool('t', {})).forModel(), 'm=', m, audit.ofType('tool_retry').map(e=>e.attempt));
  for (let i = 0; i < 7; i++) console.log('C', i, (await run.tool('c', { i })).forModel());
});
await w.close();
