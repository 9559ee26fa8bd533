import type { z } from 'zod';
import { WardenConfigError } from '../errors.js';
import type { AnyTool, ToolContext, ToolNameOf } from '../tools/define-tool.js';
import { isTransientError } from '../tools/resilience/transient.js';
import type { Warden } from '../warden.js';

/**
 * What one call of a mocked tool does. At most one of `returns`, `throws`, `hangs` and `malformed`;
 * `delayMs` may be combined with any of them (it waits first). `{}` returns `undefined`.
 */
export interface MockResult<Output = unknown> {
  /** The value `execute` resolves with (it still goes through the tool's output schema). */
  returns?: Output;
  /** Reject with this error, or with `new Error(message)` for a string. See `transientError` / `permanentError`. */
  throws?: Error | string;
  /**
   * Never settle on its own: the promise rejects with `ctx.signal.reason` when the attempt's signal
   * aborts (the tool's `timeoutMs` passes, the run stops, is killed or aborted). No timer is left behind.
   */
  hangs?: boolean;
  /**
   * Resolve with `{ __malformed: true }`, a value that breaks every output schema that is an object
   * with a required field (or not an object), so the call ends with `invalid_output`.
   */
  malformed?: boolean;
  /** Wait this long (real time, an unref'd timer cleared when the attempt's signal aborts) first. */
  delayMs?: number;
}

/** A mock computed from the call: `(args, ctx) => value`; throwing is the tool failing. */
export type MockFunction<Args = any, Output = unknown> = (
  args: Args,
  ctx: ToolContext,
) => Output | Promise<Output>;

/**
 * How a mocked tool behaves: one `MockResult` for every call, a sequence of them consumed one per
 * `execute` call (retries included; a call past the end fails the run loudly), or a function.
 */
export type MockSpec<Args = any, Output = unknown> =
  | MockResult<Output>
  | ReadonlyArray<MockResult<Output>>
  | MockFunction<Args, Output>;

/** One recorded call of a mock: the validated arguments and the tool context of that attempt. */
export interface MockCall<Args = any> {
  readonly args: Args;
  readonly ctx: ToolContext;
}

/** A replacement for one tool's `execute` that records its calls. Pass mocks to `warden.withTools`. */
export interface ToolMock<Args = any, Name extends string = string> {
  /** The tool this mock replaces. */
  readonly name: Name;
  /** Every call so far, oldest first (one per attempt: a retried call appears once per attempt). */
  readonly calls: ReadonlyArray<MockCall<Args>>;
  execute(args: Args, ctx: ToolContext): Promise<unknown>;
}

/** The tools of a warden type. */
type ToolsOf<W> = W extends { readonly tools: infer T extends readonly AnyTool[] } ? T : readonly AnyTool[];
type ToolIn<W, N> = Extract<ToolsOf<W>[number], { readonly name: N }>;

/** The validated arguments of tool `N` of warden `W` (`any` when the warden's tools are not known). */
export type MockArgs<W, N extends string> = [ToolIn<W, N>] extends [never]
  ? any
  : ToolIn<W, N> extends { readonly input: infer I extends z.ZodType }
    ? z.output<I>
    : any;

/** The result of tool `N` of warden `W` (`any` when the warden's tools are not known). */
export type MockOutput<W, N extends string> = [ToolIn<W, N>] extends [never]
  ? any
  : ToolIn<W, N> extends { readonly execute: (...args: any[]) => infer R }
    ? Awaited<R>
    : any;

/** The argument of `mockTools`: a spec per tool name of warden `W`. */
export type MockToolsSpec<W extends Warden<any> = Warden> = {
  readonly [N in ToolNameOf<ToolsOf<W>>]?: MockSpec<MockArgs<W, N>, MockOutput<W, N>>;
};

/** What `mockTools` returns: a `ToolMock` per tool name, typed from warden `W`. */
export type ToolMocks<W extends Warden<any> = Warden, S = MockToolsSpec<W>> = {
  readonly [N in keyof S & string]: ToolMock<MockArgs<W, N>, N>;
};

const RESULT_KEYS = ['returns', 'throws', 'hangs', 'malformed', 'delayMs'] as const;
const OUTCOME_KEYS = ['returns', 'throws', 'hangs', 'malformed'] as const;

/** The value a `malformed: true` mock resolves with. */
function malformedValue(): Record<string, unknown> {
  return { __malformed: true };
}

function checkResult(value: unknown, path: string): MockResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WardenConfigError({
      path,
      message:
        'expected { returns } | { throws } | { hangs: true } | { malformed: true } (with optional delayMs)',
    });
  }
  const spec = value as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!(RESULT_KEYS as readonly string[]).includes(key)) {
      throw new WardenConfigError({
        path: `${path}.${key}`,
        message: `unknown key; expected one of ${RESULT_KEYS.join(', ')}`,
      });
    }
  }
  const outcomes = OUTCOME_KEYS.filter((key) => Object.hasOwn(spec, key));
  if (outcomes.length > 1) {
    throw new WardenConfigError({
      path,
      message: `give at most one of returns, throws, hangs and malformed (got ${outcomes.join(' and ')})`,
    });
  }
  for (const key of ['hangs', 'malformed'] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== 'boolean') {
      throw new WardenConfigError({ path: `${path}.${key}`, message: 'expected true or false' });
    }
  }
  if (spec.throws !== undefined && typeof spec.throws !== 'string' && !(spec.throws instanceof Error)) {
    throw new WardenConfigError({
      path: `${path}.throws`,
      message: 'expected an Error or a message (see transientError() and permanentError())',
    });
  }
  const delay = spec.delayMs;
  if (delay !== undefined && !(typeof delay === 'number' && Number.isFinite(delay) && delay >= 0)) {
    throw new WardenConfigError({ path: `${path}.delayMs`, message: 'expected a finite number >= 0' });
  }
  return { ...spec } as MockResult;
}

/** Wait `ms` on a real, unref'd timer; reject with the signal's reason (clearing the timer) when it aborts. */
function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise that settles only when `signal` aborts, rejecting with its reason. No timer. */
function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (!signal) return;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function perform(spec: MockResult, signal: AbortSignal | undefined): Promise<unknown> {
  if (spec.delayMs !== undefined && spec.delayMs > 0) await wait(spec.delayMs, signal);
  if (spec.hangs === true) return hang(signal);
  if (spec.throws !== undefined) {
    throw typeof spec.throws === 'string' ? new Error(spec.throws) : spec.throws;
  }
  if (spec.malformed === true) return malformedValue();
  return spec.returns;
}

function createMock(name: string, spec: unknown): ToolMock {
  const path = `mockTools.${name}`;
  const calls: MockCall[] = [];
  let respond: (args: unknown, ctx: ToolContext, index: number) => Promise<unknown>;
  if (typeof spec === 'function') {
    const fn = spec as MockFunction;
    respond = async (args, ctx) => fn(args, ctx);
  } else if (Array.isArray(spec)) {
    const sequence = spec.map((item, i) => checkResult(item, `${path}[${i}]`));
    respond = (_args, ctx, index) => {
      const entry = sequence[index];
      if (!entry) {
        // A WardenConfigError ends the run (warden.run rejects): a test bug, not a tool failure.
        throw new WardenConfigError({
          path: `${path}[${index}]`,
          message:
            `${name} was called a ${ordinal(index + 1)} time, but its mock has ${sequence.length} ` +
            `entr${sequence.length === 1 ? 'y' : 'ies'} (one per call, retries included); ` +
            'add an entry, or find out why the agent called it again',
        });
      }
      return perform(entry, ctx?.signal);
    };
  } else {
    const result = checkResult(spec, path);
    respond = (_args, ctx) => perform(result, ctx?.signal);
  }
  return Object.freeze({
    name,
    calls,
    execute(args: unknown, ctx: ToolContext): Promise<unknown> {
      const index = calls.length;
      calls.push(Object.freeze({ args, ctx }));
      try {
        return Promise.resolve(respond(args, ctx, index));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  });
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/**
 * Mocks for a warden's tools, to pass to `warden.withTools(mocks)`: only `execute` is replaced, so
 * every guard (allowlist, schema, rules, approval, idempotency, retries, breaker, output schema)
 * still runs and is what the test exercises.
 *
 * Per tool, a `MockResult` (`returns`, `throws`, `hangs`, `malformed`, `delayMs`) used for every
 * call; an array of them consumed one per `execute` call (retries included), where a call past
 * the end is a `WardenConfigError` (`mockTools.send_email[3]`) that makes `warden.run` reject; or a
 * function `(args, ctx) => value`. Each mock records its `calls` (`{ args, ctx }`).
 *
 * Give the warden's type for typed tool names and arguments: `mockTools<typeof warden>({ ... })`.
 * Throws `WardenConfigError` for a malformed spec.
 *
 * @example
 * const mocks = mockTools<typeof warden>({
 *   search_docs: { returns: { hits: [] } },
 *   send_email: [{ throws: transientError(503) }, { returns: { id: 'm1' } }],
 *   get_weather: (args) => ({ tempC: 20 }),
 * });
 * const testWarden = warden.withTools(mocks);
 * mocks.send_email.calls[0]?.args.to; // typed from send_email's input schema
 */
export function mockTools<
  W extends Warden<any> = Warden,
  const S extends MockToolsSpec<W> = MockToolsSpec<W>,
>(spec: S): ToolMocks<W, S> {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new WardenConfigError({
      path: 'mockTools(spec)',
      message: 'expected { [toolName]: { returns } | [ ...one per call ] | (args, ctx) => value }',
    });
  }
  const mocks: Record<string, ToolMock> = {};
  for (const [name, toolSpec] of Object.entries(spec as Record<string, unknown>)) {
    if (toolSpec === undefined) continue;
    mocks[name] = createMock(name, toolSpec);
  }
  return Object.freeze(mocks) as unknown as ToolMocks<W, S>;
}

/** A `status` that the built-in classification treats as transient. */
function checkStatus(status: number, transient: boolean, path: string): void {
  const error = Object.assign(new Error(), { status });
  if (!Number.isInteger(status) || status < 100 || status > 599 || isTransientError(error) !== transient) {
    throw new WardenConfigError({
      path,
      message: transient
        ? `expected a transient HTTP status (408, 425, 429 or 5xx), got ${String(status)}`
        : `expected a permanent HTTP status (4xx other than 408, 425 and 429), got ${String(status)}`,
    });
  }
}

/** An error with an HTTP `status`, as HTTP clients throw. */
export type HttpError = Error & { readonly status: number };

/**
 * An error the warden treats as transient, as a failing dependency throws it: `status` is 503 by
 * default (or 408, 425, 429, any 5xx). Read tools retry it (`retry.retries`, default 2).
 * @example mockTools({ search_docs: [{ throws: transientError(503) }, { returns: { hits: [] } }] })
 */
export function transientError(
  status = 503,
  message = `HTTP ${status}: the service is temporarily unavailable`,
): HttpError {
  checkStatus(status, true, 'transientError(status)');
  const error = new Error(message) as Error & { status: number };
  error.name = 'TransientError';
  error.status = status;
  return error;
}

/** An error the warden never retries: `status` 400 by default (any 4xx but 408, 425 and 429). */
export function permanentError(message = 'HTTP 400: the request was rejected', status = 400): HttpError {
  checkStatus(status, false, 'permanentError(status)');
  const error = new Error(message) as Error & { status: number };
  error.name = 'PermanentError';
  error.status = status;
  return error;
}
