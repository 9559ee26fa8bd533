// agent-warden resilience: retries, idempotency, circuit breakers and loop detection.
//
//   npx tsx examples/resilient-tools.ts
//
// No network and no model: each scenario calls `run.tool()` the way an agent loop would. A manual
// clock makes backoff waits and breaker resets instant, and a fixed `random` makes the jitter
// (and so this output) the same on every run. See docs/resilience.md and docs/idempotency.md.
import { createWarden, defineTool, memoryAudit, type ToolOutcome } from 'agent-warden';
import { createManualClock } from 'agent-warden/testing';
import { z } from 'zod';

/** An error shaped like an HTTP client's: `status` is what the warden reads to classify it. */
function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status });
}

// ---- Tools -------------------------------------------------------------------------------------

// 1. A read tool whose API answers 503 twice, then succeeds. Read tools retry transient errors
//    (2 retries by default) with exponential backoff and jitter.
let forecastFailures = 2;
const getForecast = defineTool({
  name: 'get_forecast',
  description: 'Weather forecast for a city',
  input: z.object({ city: z.string() }),
  effect: 'read',
  execute: async ({ city }) => {
    if (forecastFailures > 0) {
      forecastFailures--;
      throw httpError(503, 'weather API: service unavailable');
    }
    return { city, forecast: 'sunny', highC: 24 };
  },
});

// 2. A write tool (the default effect). It gets an idempotency key, passed on to the provider.
const outbox: Array<{ to: string; subject: string; idempotencyKey: string | undefined }> = [];
const sendEmail = defineTool({
  name: 'send_email',
  description: 'Send an email to a customer',
  input: z.object({ to: z.email(), subject: z.string(), body: z.string() }),
  execute: async ({ to, subject }, ctx) => {
    // A real provider call: mail.send(message, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal })
    outbox.push({ to, subject, idempotencyKey: ctx.idempotencyKey });
    return { messageId: `msg_${outbox.length}` };
  },
});

// 3. Two tools in front of one FX API share a breaker (same key, same options). Retries are off so
//    each call is one attempt and the breaker's arithmetic is easy to follow.
let fxApiUp = false;
let fxCalls = 0;
async function fxApi(from: string, to: string): Promise<number> {
  fxCalls++;
  if (!fxApiUp) throw httpError(502, 'fx API: bad gateway');
  return from === 'EUR' && to === 'USD' ? 1.09 : 1.27;
}
const fxBreaker = { key: 'fx-api' };
const getFxRate = defineTool({
  name: 'get_fx_rate',
  description: 'Current exchange rate between two currencies',
  input: z.object({ from: z.string().length(3), to: z.string().length(3) }),
  effect: 'read',
  retry: { retries: 0 },
  breaker: fxBreaker,
  execute: async ({ from, to }) => ({ from, to, rate: await fxApi(from, to) }),
});
const convertPrice = defineTool({
  name: 'convert_price',
  description: 'Convert a price into another currency',
  input: z.object({ amount: z.number(), from: z.string().length(3), to: z.string().length(3) }),
  effect: 'read',
  retry: { retries: 0 },
  breaker: fxBreaker,
  execute: async ({ amount, from, to }) => ({ amount: amount * (await fxApi(from, to)), currency: to }),
  // Used instead of `circuit_open` while the breaker is open: yesterday's rate, marked as such.
  fallback: ({ amount, to }) => ({ amount: amount * 1.08, currency: to, stale: true }),
});

// 4. A harmless tool a confused model keeps calling with the same arguments.
const searchDocs = defineTool({
  name: 'search_docs',
  description: 'Search the help centre',
  input: z.object({ query: z.string() }),
  effect: 'read',
  execute: async ({ query }) => ({ query, hits: [] }),
});

// ---- The warden --------------------------------------------------------------------------------

const clock = createManualClock();
const audit = memoryAudit();
const warden = createWarden({
  agent: { name: 'resilience-demo' },
  tools: [getForecast, sendEmail, getFxRate, convertPrice, searchDocs],
  loops: { maxRepeats: 3 }, // the default: a 4th identical call in a row stops the run
  audit,
  clock, // backoff sleeps and breaker resets run on this clock
  random: () => 0.5, // jitter: every delay is 1.5 × the base delay
});

// ---- 1. Retries ---------------------------------------------------------------------------------

heading(1, 'A read tool fails with 503 twice, then succeeds: retried with backoff');
const forecast = await warden.run({ userId: 'u_1' }, (run) => run.tool('get_forecast', { city: 'Lisbon' }));
if (forecast.status === 'completed') show('get_forecast', forecast.output);
for (const retry of audit.ofType('tool_retry')) {
  console.log(`   tool_retry: attempt ${retry.attempt} after ${retry.delayMs} ms (${retry.error})`);
}
console.log(`   usage.toolCalls = ${forecast.usage.toolCalls} (every attempt counts against the budget)`);

// ---- 2. Idempotency -----------------------------------------------------------------------------

heading(2, 'A write tool called twice with the same arguments in one session: the second is a replay');
const email = { to: 'ana@example.com', subject: 'Your refund', body: 'We refunded order ord_1001.' };
for (const turn of ['turn 1', 'turn 2 (the model asks again)']) {
  // Two runs of one conversation: a derived key is scoped to the session, so this is one email.
  await warden.run({ userId: 'u_1', sessionId: 'sess_7' }, async (run) => {
    show(`${turn}: send_email`, await run.tool('send_email', email));
  });
}
const key = outbox[0]?.idempotencyKey?.slice(0, 12);
console.log(`   emails actually sent: ${outbox.length} (execute got ctx.idempotencyKey ${key}…)`);

// ---- 3. Circuit breaker -------------------------------------------------------------------------

heading(3, 'A failing dependency opens its breaker; a sibling tool on the same key uses its fallback');
const pairs = ['EUR/USD', 'GBP/USD', 'USD/JPY', 'EUR/GBP', 'USD/CHF', 'AUD/USD'];
await warden.run({ userId: 'u_1' }, async (run) => {
  for (const pair of pairs) {
    const [from, to] = pair.split('/');
    const outcome = await run.tool('get_fx_rate', { from, to });
    show(`get_fx_rate ${pair}`, outcome);
    if (!outcome.ok && outcome.error.code === 'circuit_open') {
      console.log(`     details: ${JSON.stringify(outcome.error.details)}`);
    }
  }
  show('convert_price 100 EUR→USD', await run.tool('convert_price', { amount: 100, from: 'EUR', to: 'USD' }));
});
console.log(`   the FX API was called ${fxCalls} times for ${pairs.length + 1} tool calls`);

clock.advance(30_000); // breaker.resetTimeoutMs (default 30 s) passes; the API has recovered
fxApiUp = true;
await warden.run({ userId: 'u_1' }, async (run) => {
  show('get_fx_rate EUR/USD, 30 s later', await run.tool('get_fx_rate', { from: 'EUR', to: 'USD' }));
});
console.log(`   breaker events: ${breakerEvents()}`);

// ---- 4. Loop detection --------------------------------------------------------------------------

heading(4, 'A model stuck repeating the same call: warned at 3, stopped at 4');
const stuck = await warden.run({ userId: 'u_1' }, async (run) => {
  for (let i = 1; ; i++) {
    const outcome = await run.tool('search_docs', { query: 'refund policy' });
    const warned = audit.ofType('loop_warning').length > 0 ? ' (loop_warning emitted)' : '';
    console.log(`   call ${i}: ${outcome.ok ? 'ok' : outcome.error.code}${warned}`);
  }
});
if (stuck.status === 'stopped') console.log(`   → stopped: ${stuck.stop.code} — ${stuck.stop.message}`);

await warden.close(); // shuts the breakers down and clears their timers

// ---- Printing -----------------------------------------------------------------------------------

function heading(n: number, title: string): void {
  console.log(`${n === 1 ? '' : '\n'}${n}. ${title}`);
}

function show(label: string, outcome: ToolOutcome): void {
  if (outcome.ok) {
    const flags = [outcome.replayed && 'replayed: true', outcome.fallback && 'fallback: true'].filter(
      Boolean,
    );
    console.log(`   ✓ ${label} → ${outcome.forModel()}${flags.length > 0 ? `  (${flags.join(', ')})` : ''}`);
  } else {
    console.log(`   ✗ ${label} → ${outcome.error.code}: ${outcome.error.message}`);
  }
}

function breakerEvents(): string {
  return audit.events
    .filter((e) => e.type.startsWith('breaker_'))
    .map((e) => e.type)
    .join(' → ');
}
