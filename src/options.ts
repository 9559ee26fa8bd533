import type { Tracer } from '@opentelemetry/api';
import { z } from 'zod';
import type { AuditEvent, AuditSink } from './audit/types.js';
import type { ModelPrice, Pricing } from './budget/pricing.js';
import { WardenConfigError } from './errors.js';
import type { Clock } from './internal/clock.js';
import type { PendingApproval } from './run/types.js';
import type { BudgetWindow, Store } from './store/types.js';
import type { AnyTool } from './tools/define-tool.js';

/** Budgets for one run. Each dimension is a ceiling; a run stops when it would pass one. */
export interface RunBudget {
  /** Model calls. @default 50 */
  steps?: number;
  /** Tool calls (every attempt counts). @default 200 */
  toolCalls?: number;
  /** Input + output tokens. @default 1_000_000 */
  tokens?: number;
  /** USD, from `pricing`. No default: set it to enable cost budgets (then every model needs a price). */
  costUsd?: number;
  /** Wall time from the start of the run. @default 600_000 (10 minutes) */
  durationMs?: number;
}

/** Budgets shared by every run of a session, user or tenant, over a calendar window (UTC). */
export interface ScopedBudget {
  steps?: number;
  toolCalls?: number;
  tokens?: number;
  costUsd?: number;
  /** @default 'total' for session, 'day' for user, 'month' for tenant */
  window?: BudgetWindow;
}

export interface BudgetOptions {
  run?: RunBudget;
  session?: ScopedBudget;
  user?: ScopedBudget;
  tenant?: ScopedBudget;
  /** Fraction of a budget at which a `budget_warning` is emitted (once per dimension and scope). @default 0.8 */
  warnAt?: number;
}

/** What the redaction hook is asked to redact. */
export interface RedactContext {
  kind: 'tool_arguments' | 'tool_result' | 'model_input' | 'model_output';
  tool?: string;
}

export interface TelemetryOptions {
  /** @default trace.getTracer('agent-warden', VERSION) */
  tracer?: Tracer;
  /** Record tool arguments on tool spans (`gen_ai.tool.call.arguments`, after `redact`). Model messages are never recorded. @default false */
  recordInputs?: boolean;
  /** Record tool results on tool spans (`gen_ai.tool.call.result`, after `redact`). Model messages are never recorded. @default false */
  recordOutputs?: boolean;
  /** Called on every recorded value; return what may be recorded. @default identity */
  redact?: (value: unknown, context: RedactContext) => unknown;
}

export interface LimitOptions {
  /** Runs of one user at the same time; more are refused with `rate_limited`. @default 10 */
  concurrentRunsPerUser?: number;
  /** Largest tool-argument payload, in bytes of JSON. @default 1_048_576 */
  maxArgumentBytes?: number;
  /** Longest a store operation may take before it counts as failed (fail closed). @default 5_000 */
  storeTimeoutMs?: number;
}

export interface LoopOptions {
  /** Identical consecutive tool calls allowed before `loop_detected`. @default 3 */
  maxRepeats?: number;
}

/** An HMAC secret and its id, for key rotation. */
export interface ApprovalKey {
  id: string;
  secret: string;
}

export interface ApprovalOptions {
  /** HMAC secret (>= 32 bytes) or a keyring for rotation. Required when any tool can need approval. */
  secret?: string | { current: ApprovalKey; previous?: ApprovalKey[] };
  /** How long a pending approval and its token stay valid. @default 300_000 */
  ttlMs?: number;
  /** `'return'`: an `approval_required` outcome; `'interrupt'`: the run stops. @default 'return' */
  mode?: 'return' | 'interrupt';
  /**
   * Approve automatically the actions a user has opted into (return true).
   * Called with each new pending approval; recorded with approver `'auto'` (for a `'dual'` approval that
   * is one of the two). Only `true` approves; a hook that throws counts as `false`. @default none
   */
  autoApprove?: (pending: PendingApproval) => boolean | Promise<boolean>;
}

export interface WardenOptions {
  /** @default { name: 'agent' } */
  agent?: { name?: string; id?: string };
  /** The allowlist: only these tools can ever run. @default [] */
  tools?: ReadonlyArray<AnyTool>;
  budgets?: BudgetOptions;
  /** Prices per model name, USD per million tokens. @default {} */
  pricing?: Pricing;
  loops?: LoopOptions;
  limits?: LimitOptions;
  approvals?: ApprovalOptions;
  /** @default memoryStore() */
  store?: Store;
  /** Where audit events go. @default none (events still reach `onEvent`) */
  audit?: AuditSink;
  telemetry?: TelemetryOptions;
  /** Receives every audit event as it happens. Errors it throws are ignored. */
  onEvent?: (event: AuditEvent) => void;
  /** @default the system clock */
  clock?: Clock;
  /** @default ulid() */
  generateId?: () => string;
  /** Randomness for retry jitter, in [0, 1). @default Math.random */
  random?: () => number;
}

/** Default values of every option, in one place. */
export const DEFAULTS = Object.freeze({
  agentName: 'agent',
  budgets: Object.freeze({
    run: Object.freeze({ steps: 50, toolCalls: 200, tokens: 1_000_000, durationMs: 600_000 }),
    warnAt: 0.8,
    windows: Object.freeze({ session: 'total', user: 'day', tenant: 'month' } as const),
  }),
  limits: Object.freeze({ concurrentRunsPerUser: 10, maxArgumentBytes: 1_048_576, storeTimeoutMs: 5_000 }),
  loops: Object.freeze({ maxRepeats: 3 }),
  approvals: Object.freeze({ ttlMs: 300_000, mode: 'return' as const }),
  tool: Object.freeze({
    timeoutMs: 30_000,
    idempotencyTtlMs: 86_400_000,
    readRetries: 2,
    writeRetries: 0,
    minDelayMs: 200,
    maxDelayMs: 5_000,
    breaker: Object.freeze({
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      resetTimeoutMs: 30_000,
      rollingWindowMs: 10_000,
    }),
  }),
});

export type ScopeName = 'session' | 'user' | 'tenant';

export interface ResolvedScopedBudget {
  window: BudgetWindow;
  steps?: number;
  toolCalls?: number;
  tokens?: number;
  costUsd?: number;
}

export interface ResolvedRunBudget {
  steps: number;
  toolCalls: number;
  tokens: number;
  costUsd: number | undefined;
  durationMs: number;
}

/** Options after defaults and validation; what the rest of the library reads. */
export interface ResolvedOptions {
  agent: { name: string; id: string | undefined };
  tools: ReadonlyArray<AnyTool>;
  budgets: {
    run: ResolvedRunBudget;
    scopes: Partial<Record<ScopeName, ResolvedScopedBudget>>;
    warnAt: number;
    /** True when any cost budget is set: every model then needs a price. */
    costActive: boolean;
  };
  pricing: Readonly<Record<string, ModelPrice>>;
  loops: { maxRepeats: number };
  limits: { concurrentRunsPerUser: number; maxArgumentBytes: number; storeTimeoutMs: number };
  approvals: {
    keys: { current: ApprovalKey; previous: ApprovalKey[] } | undefined;
    ttlMs: number;
    mode: 'return' | 'interrupt';
    autoApprove: ((pending: PendingApproval) => boolean | Promise<boolean>) | undefined;
  };
  store: Store | undefined;
  audit: AuditSink | undefined;
  telemetry: {
    tracer: Tracer | undefined;
    recordInputs: boolean;
    recordOutputs: boolean;
    redact: ((value: unknown, context: RedactContext) => unknown) | undefined;
  };
  onEvent: ((event: AuditEvent) => void) | undefined;
  clock: Clock | undefined;
  generateId: (() => string) | undefined;
  random: (() => number) | undefined;
}

// ---------------------------------------------------------------------------
// Validation schemas

const amount = (what: string) =>
  z.number({ error: `expected a finite number >= 0 (${what})` }).check(
    z.refine((v) => Number.isFinite(v) && v >= 0, {
      error: `expected a finite number >= 0 (${what}); use a large number, not Infinity, for a loose budget`,
    }),
  );
const count = (what: string) =>
  z
    .number({ error: `expected an integer >= 0 (${what})` })
    .check(z.refine((v) => Number.isInteger(v) && v >= 0, { error: `expected an integer >= 0 (${what})` }));
const positiveCount = (what: string) =>
  z
    .number({ error: `expected an integer >= 1 (${what})` })
    .check(z.refine((v) => Number.isInteger(v) && v >= 1, { error: `expected an integer >= 1 (${what})` }));
const fn = (shape: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `expected ${shape}`);
const windowSchema = z.enum(['hour', 'day', 'week', 'month', 'total'], {
  error: "expected one of 'hour', 'day', 'week', 'month', 'total'",
});

export const runBudgetSchema = z.strictObject(
  {
    steps: count('model calls').optional(),
    toolCalls: count('tool calls').optional(),
    tokens: count('tokens').optional(),
    costUsd: amount('USD').optional(),
    durationMs: amount('milliseconds').optional(),
  },
  { error: 'expected { steps?, toolCalls?, tokens?, costUsd?, durationMs? }' },
);

const scopedBudgetSchema = z.strictObject(
  {
    steps: count('model calls').optional(),
    toolCalls: count('tool calls').optional(),
    tokens: count('tokens').optional(),
    costUsd: amount('USD').optional(),
    window: windowSchema.optional(),
  },
  { error: 'expected { steps?, toolCalls?, tokens?, costUsd?, window? }' },
);

const priceSchema = z.strictObject(
  {
    inputPerMTok: amount('USD per million input tokens'),
    outputPerMTok: amount('USD per million output tokens'),
    cachedInputPerMTok: amount('USD per million cached input tokens').optional(),
    cacheWriteInputPerMTok: amount('USD per million cache-write input tokens').optional(),
  },
  { error: 'expected { inputPerMTok, outputPerMTok, cachedInputPerMTok?, cacheWriteInputPerMTok? }' },
);

const keySchema = z.strictObject({
  id: z.string({ error: 'expected a non-empty key id' }).min(1, 'expected a non-empty key id').max(64),
  secret: z.string({ error: 'expected a string secret' }).check(
    z.refine((s) => Buffer.byteLength(s) >= 32, {
      error: 'expected a secret of at least 32 bytes (e.g. 64 hex characters from crypto.randomBytes(32))',
    }),
  ),
});

const secretSchema = z.union(
  [
    keySchema.shape.secret,
    z.strictObject({ current: keySchema, previous: z.array(keySchema).max(16).optional() }),
  ],
  { error: 'expected a secret string of >= 32 bytes or { current: { id, secret }, previous?: [...] }' },
);

const optionsSchema = z.strictObject(
  {
    agent: z
      .strictObject({
        name: z.string().min(1).max(128).optional(),
        id: z.string().min(1).max(128).optional(),
      })
      .optional(),
    tools: z.array(z.unknown(), { error: 'expected an array of tools made with defineTool' }).optional(),
    budgets: z
      .strictObject(
        {
          run: runBudgetSchema.optional(),
          session: scopedBudgetSchema.optional(),
          user: scopedBudgetSchema.optional(),
          tenant: scopedBudgetSchema.optional(),
          warnAt: z
            .number()
            .check(z.refine((v) => v > 0 && v <= 1, { error: 'expected a fraction in (0, 1]' }))
            .optional(),
        },
        { error: 'expected { run?, session?, user?, tenant?, warnAt? }' },
      )
      .optional(),
    pricing: z
      .record(z.string(), priceSchema, { error: 'expected { [model]: { inputPerMTok, outputPerMTok } }' })
      .optional(),
    loops: z.strictObject({ maxRepeats: positiveCount('repeats').optional() }).optional(),
    limits: z
      .strictObject({
        concurrentRunsPerUser: positiveCount('runs').optional(),
        maxArgumentBytes: positiveCount('bytes').optional(),
        storeTimeoutMs: positiveCount('milliseconds').optional(),
      })
      .optional(),
    approvals: z
      .strictObject({
        secret: secretSchema.optional(),
        ttlMs: z
          .number()
          .check(z.refine((v) => Number.isFinite(v) && v > 0, { error: 'expected a finite number > 0' }))
          .optional(),
        mode: z.enum(['return', 'interrupt'], { error: "expected 'return' or 'interrupt'" }).optional(),
        autoApprove: fn('a function (pending) => boolean').optional(),
      })
      .optional(),
    store: z
      .custom<Store>(
        (v) => typeof v === 'object' && v !== null && typeof (v as Store).reserve === 'function',
        'expected a Store (memoryStore() or redisStore({ client }))',
      )
      .optional(),
    audit: z
      .custom<AuditSink>(
        (v) => typeof v === 'object' && v !== null && typeof (v as AuditSink).write === 'function',
        'expected an audit sink: memoryAudit(), jsonlAudit(path) or { write(event) }',
      )
      .optional(),
    telemetry: z
      .strictObject({
        tracer: z
          .custom<Tracer>(
            (v) => typeof v === 'object' && v !== null && typeof (v as Tracer).startSpan === 'function',
            'expected an OpenTelemetry Tracer',
          )
          .optional(),
        recordInputs: z.boolean().optional(),
        recordOutputs: z.boolean().optional(),
        redact: fn('a function (value, context) => value').optional(),
      })
      .optional(),
    onEvent: fn('a function (event) => void').optional(),
    clock: z
      .custom<Clock>(
        (v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function',
        'expected { now(): number }',
      )
      .optional(),
    generateId: fn('a function () => string').optional(),
    random: fn('a function () => number in [0, 1)').optional(),
  },
  { error: 'expected an options object' },
);

/**
 * Turn a zod error into a WardenConfigError naming the first offending option path. An unknown key
 * is named in the path itself, and, given the `schema`, the message lists the accepted keys.
 */
export function configErrorFrom(error: z.ZodError, prefix = '', schema?: z.ZodType): WardenConfigError {
  const issue = error.issues[0];
  const unknownKeys = issue?.code === 'unrecognized_keys' ? ((issue as { keys?: string[] }).keys ?? []) : [];
  const segments = [...(issue?.path ?? []), ...unknownKeys.slice(0, 1)];
  const path = [prefix, ...segments.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
    .filter(Boolean)
    .join('.')
    .replace(/\.\[/g, '[');
  let message = issue?.message ?? 'invalid option';
  if (issue?.code === 'unrecognized_keys') {
    const accepted = acceptedKeys(schema, issue.path);
    message =
      `unknown option${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => `'${k}'`).join(', ')}` +
      (accepted ? `; expected one of: ${accepted.join(', ')}` : '');
  }
  return new WardenConfigError({ path: path || '(options)', message, cause: error });
}

/** The keys an object schema accepts at `path`, if the path leads to an object schema. */
function acceptedKeys(schema: z.ZodType | undefined, path: readonly PropertyKey[]): string[] | undefined {
  const unwrap = (s: unknown) => (s instanceof z.ZodOptional ? s.unwrap() : s);
  let current: unknown = unwrap(schema);
  for (const segment of path) {
    if (current instanceof z.ZodObject) current = (current.shape as Record<PropertyKey, unknown>)[segment];
    else if (current instanceof z.ZodArray) current = current.element;
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else return undefined;
    current = unwrap(current);
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined;
}

function resolveRunBudget(input: RunBudget | undefined): ResolvedRunBudget {
  const d = DEFAULTS.budgets.run;
  return {
    steps: input?.steps ?? d.steps,
    toolCalls: input?.toolCalls ?? d.toolCalls,
    tokens: input?.tokens ?? d.tokens,
    costUsd: input?.costUsd,
    durationMs: input?.durationMs ?? d.durationMs,
  };
}

function resolveScoped(scope: ScopeName, input: ScopedBudget | undefined): ResolvedScopedBudget | undefined {
  if (!input) return undefined;
  const { window, ...dims } = input;
  const defined = Object.entries(dims).filter(([, v]) => v !== undefined);
  if (defined.length === 0) return undefined;
  return { window: window ?? DEFAULTS.budgets.windows[scope], ...Object.fromEntries(defined) };
}

/** Validate options and fill in defaults. Throws `WardenConfigError`. */
export function resolveOptions(options: WardenOptions | undefined): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw configErrorFrom(parsed.error, '', optionsSchema);
  const o = options ?? {};
  const scopes: ResolvedOptions['budgets']['scopes'] = {};
  for (const scope of ['session', 'user', 'tenant'] as const) {
    const resolved = resolveScoped(scope, o.budgets?.[scope]);
    if (resolved) scopes[scope] = resolved;
  }
  const run = resolveRunBudget(o.budgets?.run);
  const secret = o.approvals?.secret;
  const keys =
    secret === undefined
      ? undefined
      : typeof secret === 'string'
        ? { current: { id: 'default', secret }, previous: [] }
        : { current: secret.current, previous: [...(secret.previous ?? [])] };
  if (keys) {
    const ids = [keys.current.id, ...keys.previous.map((k) => k.id)];
    const secrets = [keys.current.secret, ...keys.previous.map((k) => k.secret)];
    if (new Set(secrets).size !== secrets.length) {
      throw new WardenConfigError({
        path: 'approvals.secret',
        message: 'two keys share one secret; every key id needs its own secret',
      });
    }
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup)
      throw new WardenConfigError({ path: 'approvals.secret', message: `key id '${dup}' appears twice` });
  }
  return {
    agent: { name: o.agent?.name ?? DEFAULTS.agentName, id: o.agent?.id },
    tools: o.tools ?? [],
    budgets: {
      run,
      scopes,
      warnAt: o.budgets?.warnAt ?? DEFAULTS.budgets.warnAt,
      costActive: run.costUsd !== undefined || Object.values(scopes).some((s) => s.costUsd !== undefined),
    },
    pricing: Object.freeze({ ...(o.pricing ?? {}) }),
    loops: { maxRepeats: o.loops?.maxRepeats ?? DEFAULTS.loops.maxRepeats },
    limits: {
      concurrentRunsPerUser: o.limits?.concurrentRunsPerUser ?? DEFAULTS.limits.concurrentRunsPerUser,
      maxArgumentBytes: o.limits?.maxArgumentBytes ?? DEFAULTS.limits.maxArgumentBytes,
      storeTimeoutMs: o.limits?.storeTimeoutMs ?? DEFAULTS.limits.storeTimeoutMs,
    },
    approvals: {
      keys,
      ttlMs: o.approvals?.ttlMs ?? DEFAULTS.approvals.ttlMs,
      mode: o.approvals?.mode ?? DEFAULTS.approvals.mode,
      autoApprove: o.approvals?.autoApprove,
    },
    store: o.store,
    audit: o.audit,
    telemetry: {
      tracer: o.telemetry?.tracer,
      recordInputs: o.telemetry?.recordInputs ?? false,
      recordOutputs: o.telemetry?.recordOutputs ?? false,
      redact: o.telemetry?.redact,
    },
    onEvent: o.onEvent,
    clock: o.clock,
    generateId: o.generateId,
    random: o.random,
  };
}
