// (2) `run.tool` with the real OpenTelemetry SDK (BasicTracerProvider, SimpleSpanProcessor, an
// in-memory exporter, the AsyncLocalStorage context manager), against the cost of tracing alone:
// the bare call inside one span created and ended by hand — the span the warden makes for the call,
// with the same name, kind and attributes, active while the tool runs (`context.with`), status OK.
//
// Target (2) compares what tracing adds to a guarded call (traced − untraced) with what that span
// costs by hand (hand span − bare call). The total traced call against the hand span alone is also
// printed: it is target (1)'s pipeline plus the tracing, not the tracing's own cost.
//
//   node --import tsx bench/tracing.ts
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { recordSpans } from 'agent-warden/testing';
import { benchWarden, expectOk, type OpenRun, openRun, readArgs, work, writeArgs } from './fixtures.js';
import {
  compare,
  difference,
  formatNs,
  formatRatio,
  main,
  printComparison,
  Reporter,
  ratio,
  scaled,
  vs,
} from './harness.js';

/** Target (2): the tracing of a guarded call at most this many times the cost of the tracing alone. */
const TARGET = 1.3;

main(async () => {
  const report = new Reporter('tracing', '(2) run.tool with the OpenTelemetry SDK vs one span by hand');
  // As an application using the SDK has it: context propagation through AsyncLocalStorage.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const spans = recordSpans();
  const tracer = spans.tracer;

  let traced: { warden: ReturnType<typeof benchWarden>; open: OpenRun } | undefined;
  let plain: { warden: ReturnType<typeof benchWarden>; open: OpenRun } | undefined;
  const fresh = async (withTracer: boolean) => {
    const old = withTracer ? traced : plain;
    if (old) {
      await old.open.finish();
      await old.warden.close();
    }
    const warden = benchWarden(withTracer ? { telemetry: { tracer } } : {});
    const next = { warden, open: await openRun(warden) };
    if (withTracer) traced = next;
    else plain = next;
  };

  /** The span the warden starts for a call of `tool`: its name, kind and 4 start attributes. */
  const startToolSpan = (tool: 'search_docs' | 'send_email', i: number) =>
    tracer.startSpan(`execute_tool ${tool}`, {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool,
        'gen_ai.tool.call.id': `call_${i}`,
        'gen_ai.tool.type': 'function',
      },
    });
  const handSpan = async (i: number) => {
    const span = startToolSpan('search_docs', i);
    try {
      return await work(readArgs(i));
    } finally {
      span.end();
    }
  };
  const handSpanWithContext = async (i: number) => {
    const span = startToolSpan('search_docs', i);
    try {
      return await context.with(trace.setSpan(context.active(), span), () => work(readArgs(i)));
    } finally {
      span.end();
    }
  };
  /** The span the warden makes for a call of `tool`, made by hand around the bare call. */
  const asTheWarden = (tool: 'search_docs' | 'send_email') => async (i: number) => {
    const span = startToolSpan(tool, i);
    try {
      const args = tool === 'search_docs' ? readArgs(i) : writeArgs(i);
      return await context.with(trace.setSpan(context.active(), span), () => work(args));
    } finally {
      span.setAttributes({
        'warden.tool.outcome': 'ok',
        'warden.tool.effect': tool === 'search_docs' ? 'read' : 'write',
        'warden.tool.attempts': 1,
        'warden.breaker.state': 'closed',
        ...(tool === 'send_email'
          ? {
              'warden.idempotency.key': 'd3b07384d113edec49eaa6238ad5ff00d3b07384d113edec49eaa6238ad5ff00',
              'warden.idempotency.replayed': false,
            }
          : {}),
      });
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
    }
  };

  const result = await compare(
    {
      bare: (i) => work(readArgs(i)),
      'hand span': handSpan,
      'hand span + context.with': handSpanWithContext,
      "hand span as the warden's, read": asTheWarden('search_docs'),
      "hand span as the warden's, write": asTheWarden('send_email'),
      'run.tool read, no tracer': async (i) =>
        expectOk(await plain!.open.run.tool('search_docs', readArgs(i))),
      'run.tool read, OTel SDK': async (i) =>
        expectOk(await traced!.open.run.tool('search_docs', readArgs(i))),
      'run.tool write, no tracer': async (i) =>
        expectOk(await plain!.open.run.tool('send_email', writeArgs(i))),
      'run.tool write, OTel SDK': async (i) =>
        expectOk(await traced!.open.run.tool('send_email', writeArgs(i))),
    },
    {
      rounds: scaled(25, 0.4),
      batchMs: scaled(25, 0.4),
      beforeBatch: async (variant) => {
        spans.reset(); // the in-memory exporter keeps every span: empty it so it does not grow
        if (variant.includes('no tracer')) await fresh(false);
        else if (variant.startsWith('run.tool')) await fresh(true);
      },
    },
  );
  for (const open of [traced, plain]) {
    await open?.open.finish();
    await open?.warden.close();
  }
  await spans.shutdown();
  contextManager.disable();

  const hand = result['hand span'];
  printComparison(result, 'call', [vs('vs bare', result.bare), vs('vs hand span', hand)]);

  const spanCost = difference(hand, result.bare);
  console.log(
    `   one span by hand (4 attributes, no context) costs ${formatNs(spanCost)} over the bare call`,
  );
  for (const kind of ['read', 'write'] as const) {
    const withSdk = result[`run.tool ${kind}, OTel SDK`];
    const without = result[`run.tool ${kind}, no tracer`];
    const same = result[`hand span as the warden's, ${kind}`];
    const tracingAlone = difference(same, result.bare);
    const tracingIncrement = difference(withSdk, without);
    const r = tracingIncrement / tracingAlone;
    console.log(
      `   run.tool ${kind}: the warden's tracing adds ${formatNs(tracingIncrement)} per call; the same span by ` +
        `hand costs ${formatNs(tracingAlone)}; the whole traced call is ${formatRatio(ratio(withSdk, hand))} ` +
        'one 4-attribute hand span',
    );
    report.figure(`run.tool ${kind} tracing increment`, formatNs(tracingIncrement));
    report.figure(`run.tool ${kind} same span by hand`, formatNs(tracingAlone));
    report.target({
      id: '(2)',
      what: `run.tool ${kind}: what the warden's tracing adds vs the same span made by hand (${formatNs(tracingAlone)})`,
      target: `≤ ${TARGET}×`,
      measured: `${formatNs(tracingIncrement)} = ${formatRatio(r)}`,
      met: r <= TARGET,
    });
  }
  await report.done();
});
