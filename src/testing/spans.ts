import { type AttributeValue, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR, OPERATION } from '../telemetry/attributes.js';
import { VERSION } from '../version.js';

/** How `tree()` renders spans. */
export interface SpanTreeOptions {
  /** Every attribute of each span (sorted by key) instead of the few a person reads first. @default false */
  allAttributes?: boolean;
  /** Span event names after the attributes, e.g. `events=budget_warning(steps)`. @default true */
  events?: boolean;
  /** Each span's duration, e.g. `12.3ms`. Not deterministic. @default false */
  durations?: boolean;
  /** Each span's span id. Not deterministic. @default false */
  ids?: boolean;
}

/** An in-memory span recorder on the real OpenTelemetry SDK. */
export interface SpanRecorder {
  /** Pass it as `createWarden({ telemetry: { tracer } })`. */
  readonly tracer: Tracer;
  /** Finished spans, in the order they ended. */
  spans(): ReadableSpan[];
  /**
   * Finished spans as an indented text tree: children under their parent, siblings by start time,
   * one span per line: name, status (`OK` / `ERROR`), key attributes. Deterministic unless
   * `durations` or `ids` is set.
   */
  tree(options?: SpanTreeOptions): string;
  /** Forget every recorded span. */
  reset(): void;
  /** Shut the tracer provider down. Recorded spans stay readable; spans ended afterwards are not recorded. */
  shutdown(): Promise<void>;
}

/**
 * Record spans in memory, for tests and demos.
 *
 * @example
 * const spans = recordSpans();
 * const warden = createWarden({ agent: { name: 'support-bot' }, tools, pricing, telemetry: { tracer: spans.tracer } });
 * await warden.run({ userId: 'u1' }, agent);
 * console.log(spans.tree());
 * // invoke_agent support-bot      OK  run=completed steps=2 tools=1 tokens=361/68 cost=$0.0013
 * // ├─ chat gpt-4.1               OK  tokens=147/49 cost=$0.0007 finish=tool_calls
 * // ├─ execute_tool lookup_order  OK  outcome=ok
 * // └─ chat gpt-4.1               OK  tokens=214/19 cost=$0.0006 finish=stop
 */
export function recordSpans(): SpanRecorder {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('agent-warden/testing', VERSION);
  // The exporter forgets its spans when shut down; keep them readable after `shutdown()`.
  let kept: ReadableSpan[] | undefined;
  const finished = () => kept ?? exporter.getFinishedSpans();
  return {
    tracer,
    spans: () => [...finished()],
    tree: (options) => renderTree(finished(), options ?? {}),
    reset: () => {
      exporter.reset();
      if (kept) kept = [];
    },
    async shutdown() {
      if (kept) return;
      await provider.forceFlush();
      kept = [...exporter.getFinishedSpans()];
      await provider.shutdown();
    },
  };
}

// ---------------------------------------------------------------------------
// Rendering

interface Node {
  span: ReadableSpan;
  order: number;
  children: Node[];
}

interface Line {
  head: string;
  attributes: string;
  status: string;
}

/** Name column widths past this are not padded further, so one long name cannot push every line. */
const MAX_HEAD_WIDTH = 56;

function renderTree(spans: readonly ReadableSpan[], options: SpanTreeOptions): string {
  const nodes = new Map<string, Node>();
  spans.forEach((span, order) => {
    nodes.set(span.spanContext().spanId, { span, order, children: [] });
  });
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parentId = node.span.parentSpanContext?.spanId;
    const parent = parentId === undefined ? undefined : nodes.get(parentId);
    (parent ? parent.children : roots).push(node);
  }
  const lines: Line[] = [];
  const visit = (list: Node[], indent: string, nested: boolean) => {
    const sorted = [...list].sort(byStart);
    sorted.forEach((node, i) => {
      const last = i === sorted.length - 1;
      const branch = nested ? (last ? '└─ ' : '├─ ') : '';
      lines.push(describe(node.span, `${indent}${branch}`, options));
      visit(node.children, nested ? `${indent}${last ? '   ' : '│  '}` : indent, true);
    });
  };
  visit(roots, '', false);
  const headWidth = Math.min(MAX_HEAD_WIDTH, Math.max(0, ...lines.map((l) => l.head.length)));
  const statusWidth = Math.max(0, ...lines.map((l) => l.status.length));
  return lines
    .map((l) => {
      const columns = [l.head.padEnd(headWidth)];
      if (statusWidth > 0) columns.push(l.status.padEnd(statusWidth));
      columns.push(l.attributes);
      return columns.join('  ').trimEnd();
    })
    .join('\n');
}

function byStart(a: Node, b: Node): number {
  const [as, ans] = a.span.startTime;
  const [bs, bns] = b.span.startTime;
  return as - bs || ans - bns || a.order - b.order;
}

function describe(span: ReadableSpan, prefix: string, options: SpanTreeOptions): Line {
  const pairs = options.allAttributes ? allAttributes(span) : keyAttributes(span);
  if (options.events !== false && span.events.length > 0) pairs.push(['events', eventList(span)]);
  if (options.durations) pairs.push(['duration', `${hrMs(span.duration).toFixed(1)}ms`]);
  if (options.ids) pairs.push(['span', span.spanContext().spanId]);
  const attributes = pairs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join(' ');
  const status =
    span.status.code === SpanStatusCode.ERROR ? 'ERROR' : span.status.code === SpanStatusCode.OK ? 'OK' : '';
  return { head: `${prefix}${span.name}`, attributes, status };
}

type Pair = [key: string, value: string];

/** The attributes a person reads first, by kind of span. */
function keyAttributes(span: ReadableSpan): Pair[] {
  const a = span.attributes;
  const operation = a[ATTR.GEN_AI_OPERATION_NAME];
  const pairs: Pair[] = [];
  const add = (key: string, value: AttributeValue | undefined) => {
    if (value !== undefined) pairs.push([key, text(value)]);
  };
  if (operation === OPERATION.INVOKE_AGENT) {
    add('run', a[ATTR.WARDEN_RUN_STATUS]);
    add('stop', a[ATTR.WARDEN_STOP_CODE]);
    add('steps', a[ATTR.WARDEN_USAGE_STEPS]);
    add('tools', a[ATTR.WARDEN_USAGE_TOOL_CALLS]);
    add('tokens', tokens(a[ATTR.WARDEN_USAGE_INPUT_TOKENS], a[ATTR.WARDEN_USAGE_OUTPUT_TOKENS]));
    const cost = a[ATTR.WARDEN_USAGE_COST_USD];
    if (typeof cost === 'number' && cost > 0) add('cost', usd(cost));
  } else if (operation === OPERATION.EXECUTE_TOOL) {
    add('outcome', a[ATTR.WARDEN_TOOL_OUTCOME]);
    const attempts = a[ATTR.WARDEN_TOOL_ATTEMPTS];
    if (typeof attempts === 'number' && attempts > 1) add('attempts', attempts);
    if (a[ATTR.WARDEN_IDEMPOTENCY_REPLAYED] === true) pairs.push(['replayed', '']);
    const breaker = a[ATTR.WARDEN_BREAKER_STATE];
    if (breaker !== undefined && breaker !== 'closed') add('breaker', breaker);
  } else if (a[ATTR.GEN_AI_REQUEST_MODEL] !== undefined) {
    add('tokens', tokens(a[ATTR.GEN_AI_USAGE_INPUT_TOKENS], a[ATTR.GEN_AI_USAGE_OUTPUT_TOKENS]));
    add('cached', a[ATTR.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]);
    const cost = a[ATTR.GEN_AI_USAGE_COST_AMOUNT];
    if (typeof cost === 'number') add('cost', usd(cost));
    add('finish', a[ATTR.GEN_AI_RESPONSE_FINISH_REASONS]);
  }
  const errorType = a[ATTR.ERROR_TYPE];
  if (errorType !== undefined && !pairs.some(([, v]) => v === text(errorType))) add('error.type', errorType);
  return pairs;
}

function allAttributes(span: ReadableSpan): Pair[] {
  return Object.entries(span.attributes)
    .filter((entry): entry is [string, AttributeValue] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => [k, text(v)]);
}

function eventList(span: ReadableSpan): string {
  return span.events
    .map((e) => {
      const name = e.name.startsWith('warden.') ? e.name.slice('warden.'.length) : e.name;
      const dimension = e.attributes?.[ATTR.WARDEN_BUDGET_DIMENSION];
      return dimension === undefined ? name : `${name}(${text(dimension)})`;
    })
    .join(',');
}

function tokens(input: AttributeValue | undefined, output: AttributeValue | undefined): string | undefined {
  return input === undefined && output === undefined ? undefined : `${text(input ?? 0)}/${text(output ?? 0)}`;
}

/** `$0.0021`; amounts under a hundredth of a cent read `<$0.0001`. */
function usd(amount: number): string {
  if (amount === 0) return '$0';
  if (amount >= 1) return `$${amount.toFixed(2)}`;
  if (amount < 0.0001) return '<$0.0001';
  return `$${amount.toFixed(4)}`;
}

function text(value: AttributeValue): string {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(',');
  const s = String(value);
  return /\s/.test(s) ? JSON.stringify(s) : s;
}

function hrMs([seconds, nanos]: readonly [number, number]): number {
  return seconds * 1000 + nanos / 1e6;
}
