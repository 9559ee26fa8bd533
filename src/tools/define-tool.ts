import type { z } from 'zod';
import { WardenConfigError } from '../errors.js';

/** `'read'` tools have no side effects; `'write'` tools do (idempotent, never auto-retried). */
export type ToolEffect = 'read' | 'write';

/** How much human approval a call needs. */
export type ApprovalLevel = 'none' | 'confirm' | 'dual';

/** What a rule and `execute` know about the call. */
export interface ToolContext {
  readonly runId: string;
  readonly callId: string;
  readonly toolName: string;
  readonly userId: string | undefined;
  readonly tenantId: string | undefined;
  readonly sessionId: string | undefined;
  /** The idempotency key of this call (write tools); pass it to downstream APIs so they dedupe too. */
  readonly idempotencyKey: string | undefined;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  /** Aborted when the attempt times out, the run stops, is killed or the caller aborts. */
  readonly signal: AbortSignal;
}

/** What a rule sees: the call's identity, without attempt-specific fields. */
export type RuleContext = Omit<ToolContext, 'attempt' | 'signal' | 'idempotencyKey'>;

/** A rule failure: a message, optionally with the path of the argument at fault. */
export interface RuleIssue {
  path?: Array<string | number>;
  message: string;
}

/** `true` passes; `false`, a string, a `RuleIssue` or an array of those fails. */
export type RuleResult = boolean | string | RuleIssue | Array<string | RuleIssue>;

/** Semantic validation run after the schema, in order; the first failing rule stops the call. */
export type ToolRule<Args> = (args: Args, ctx: RuleContext) => RuleResult | Promise<RuleResult>;

/** Retry options for transient errors. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 2 for read tools, 0 for write tools */
  retries?: number;
  /** @default 200 */
  minDelayMs?: number;
  /** @default 5_000 */
  maxDelayMs?: number;
  /** Decide whether an error is transient; replaces the built-in classification. */
  isTransient?: (error: unknown) => boolean;
}

/** Circuit-breaker options; tools sharing a `key` share one breaker. */
export interface BreakerOptions {
  /** @default the tool name */
  key?: string;
  /** @default 50 */
  errorThresholdPercentage?: number;
  /** Calls in the rolling window before the breaker may open. @default 5 */
  volumeThreshold?: number;
  /** How long the breaker stays open before a trial call. @default 30_000 */
  resetTimeoutMs?: number;
  /** @default 10_000 */
  rollingWindowMs?: number;
}

/** A tool the warden can guard. `Args` is inferred from `input`. */
export interface ToolDefinition<Input extends z.ZodType = z.ZodType, Output = unknown> {
  /** `^[A-Za-z0-9_-]{1,64}$`, unique within a warden. */
  name: string;
  description: string;
  /** Schema of the arguments; checked before anything else reads them. */
  input: Input;
  /** Schema of the result; checked after `execute` (`invalid_output` on mismatch). */
  output?: z.ZodType<Awaited<Output>>;
  /** Semantic checks after the schema. */
  rules?: ReadonlyArray<ToolRule<z.output<Input>>>;
  /** @default 'write' */
  effect?: ToolEffect;
  /** @default 'none' */
  approval?:
    | ApprovalLevel
    | ((args: z.output<Input>, ctx: RuleContext) => ApprovalLevel | Promise<ApprovalLevel>);
  /** Human-readable description of one call, shown to approvers. @default tool name + canonical args */
  summarize?: (args: z.output<Input>) => string;
  /** Idempotency for write tools; `false` opts out. @default { ttlMs: 86_400_000 } for write tools */
  idempotency?: false | { ttlMs?: number };
  /** Per-attempt timeout. @default 30_000 */
  timeoutMs?: number;
  retry?: RetryOptions;
  breaker?: BreakerOptions;
  /** Used instead of failing when the breaker is open. */
  fallback?: (args: z.output<Input>, ctx: ToolContext, error: unknown) => Output | Promise<Output>;
  execute: (args: z.output<Input>, ctx: ToolContext) => Output | Promise<Output>;
}

const TOOL_MARKER = Symbol.for('agent-warden.tool');

/** A tool definition checked by `defineTool`. */
export type Tool<
  Input extends z.ZodType = z.ZodType,
  Output = unknown,
  Name extends string = string,
> = Readonly<ToolDefinition<Input, Output>> & {
  readonly name: Name;
  readonly [TOOL_MARKER]: true;
};

/** Any tool, whatever its argument and result types. */
export type AnyTool = Tool<any, any, string>;

/** The names of a list of tools, as a union of literals. */
export type ToolNameOf<TTools extends readonly AnyTool[]> = TTools[number]['name'];

/** The tool called `Name` in a list of tools. */
export type ToolNamed<TTools extends readonly AnyTool[], Name extends string> = Extract<
  TTools[number],
  { readonly name: Name }
>;

/** The arguments type of a tool. */
export type ToolArgs<T> = T extends Tool<infer Input, unknown> ? z.output<Input> : never;

export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Define a tool. `execute`'s arguments are inferred from `input`.
 * Throws `WardenConfigError` for a malformed definition.
 */
export function defineTool<Input extends z.ZodType, Output, const Name extends string = string>(
  definition: ToolDefinition<Input, Output> & { name: Name },
): Tool<Input, Output, Name> {
  checkToolDefinition(definition, 'tool');
  return Object.freeze({ ...definition, [TOOL_MARKER]: true as const }) as Tool<Input, Output, Name>;
}

export function isTool(value: unknown): value is AnyTool {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TOOL_MARKER] === true
  );
}

function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function' &&
    typeof (value as { safeParseAsync?: unknown }).safeParseAsync === 'function'
  );
}

function positiveFinite(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function nonNegativeInt(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Validate a tool definition; `path` prefixes the option path in errors (e.g. `tools[2]`). */
export function checkToolDefinition(definition: unknown, path: string): void {
  const fail = (field: string, message: string): never => {
    throw new WardenConfigError({ path: `${path}.${field}`, message });
  };
  if (typeof definition !== 'object' || definition === null) {
    throw new WardenConfigError({ path, message: 'expected a tool definition object (see defineTool)' });
  }
  const d = definition as Record<string, unknown>;
  if (typeof d.name !== 'string' || !TOOL_NAME_PATTERN.test(d.name)) {
    fail('name', `expected 1-64 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(d.name)}`);
  }
  const at = `${path}(${d.name as string})`;
  const failNamed = (field: string, message: string): never => {
    throw new WardenConfigError({ path: `${at}.${field}`, message });
  };
  if (typeof d.description !== 'string') failNamed('description', 'expected a string');
  if (!isZodSchema(d.input)) failNamed('input', 'expected a zod schema, e.g. z.object({ ... })');
  if (d.output !== undefined && !isZodSchema(d.output))
    failNamed('output', 'expected a zod schema or undefined');
  if (typeof d.execute !== 'function') failNamed('execute', 'expected a function (args, ctx) => result');
  if (d.effect !== undefined && d.effect !== 'read' && d.effect !== 'write') {
    failNamed('effect', `expected 'read' or 'write', got ${JSON.stringify(d.effect)}`);
  }
  if (
    d.approval !== undefined &&
    typeof d.approval !== 'function' &&
    d.approval !== 'none' &&
    d.approval !== 'confirm' &&
    d.approval !== 'dual'
  ) {
    failNamed(
      'approval',
      `expected 'none', 'confirm', 'dual' or a function, got ${JSON.stringify(d.approval)}`,
    );
  }
  if (d.rules !== undefined) {
    if (!Array.isArray(d.rules)) failNamed('rules', 'expected an array of functions');
    (d.rules as unknown[]).forEach((rule, i) => {
      if (typeof rule !== 'function')
        failNamed(`rules[${i}]`, 'expected a function (args, ctx) => true | message');
    });
  }
  if (d.timeoutMs !== undefined && !positiveFinite(d.timeoutMs)) {
    failNamed('timeoutMs', `expected a finite number > 0, got ${String(d.timeoutMs)}`);
  }
  if (d.idempotency !== undefined && d.idempotency !== false) {
    if (typeof d.idempotency !== 'object' || d.idempotency === null) {
      failNamed('idempotency', 'expected false or { ttlMs?: number }');
    }
    const ttl = (d.idempotency as { ttlMs?: unknown }).ttlMs;
    if (ttl !== undefined && !positiveFinite(ttl))
      failNamed('idempotency.ttlMs', 'expected a finite number > 0');
  }
  if (d.retry !== undefined) {
    if (typeof d.retry !== 'object' || d.retry === null) failNamed('retry', 'expected an object');
    const r = d.retry as Record<string, unknown>;
    if (r.retries !== undefined && !(nonNegativeInt(r.retries) && (r.retries as number) <= 20)) {
      failNamed('retry.retries', 'expected an integer from 0 to 20');
    }
    for (const k of ['minDelayMs', 'maxDelayMs'] as const) {
      if (
        r[k] !== undefined &&
        !(typeof r[k] === 'number' && Number.isFinite(r[k]) && (r[k] as number) >= 0)
      ) {
        failNamed(`retry.${k}`, 'expected a finite number >= 0');
      }
    }
    if (r.isTransient !== undefined && typeof r.isTransient !== 'function') {
      failNamed('retry.isTransient', 'expected a function (error) => boolean');
    }
  }
  if (d.breaker !== undefined) {
    if (typeof d.breaker !== 'object' || d.breaker === null) failNamed('breaker', 'expected an object');
    const b = d.breaker as Record<string, unknown>;
    if (b.key !== undefined && (typeof b.key !== 'string' || b.key.length === 0)) {
      failNamed('breaker.key', 'expected a non-empty string');
    }
    if (
      b.errorThresholdPercentage !== undefined &&
      !(positiveFinite(b.errorThresholdPercentage) && (b.errorThresholdPercentage as number) <= 100)
    ) {
      failNamed('breaker.errorThresholdPercentage', 'expected a number in (0, 100]');
    }
    if (b.volumeThreshold !== undefined && !nonNegativeInt(b.volumeThreshold)) {
      failNamed('breaker.volumeThreshold', 'expected an integer >= 0');
    }
    for (const k of ['resetTimeoutMs', 'rollingWindowMs'] as const) {
      if (b[k] !== undefined && !positiveFinite(b[k]))
        failNamed(`breaker.${k}`, 'expected a finite number > 0');
    }
  }
  for (const k of ['fallback', 'summarize'] as const) {
    if (d[k] !== undefined && typeof d[k] !== 'function') failNamed(k, 'expected a function');
  }
}
