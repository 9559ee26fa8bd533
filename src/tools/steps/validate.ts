import { z } from 'zod';
import type { PipelineStep, ToolCall } from '../call.js';
import type { RuleContext, RuleIssue, RuleResult, ToolRule } from '../define-tool.js';
import { fail, type ToolOutcome } from '../outcome.js';

type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

/** Most nodes and depth {@link fitsFor} looks at before it leaves the question to `JSON.stringify`. */
const MAX_ESTIMATE_NODES = 256;
const MAX_ESTIMATE_DEPTH = 8;

/**
 * True when `value` surely serialises to at most `maxBytes` bytes of JSON: an upper bound from a short
 * walk (a code unit of a string is at most 6 bytes once escaped; a number at most 24), with no
 * serialisation. Anything it does not know cheaply — `toJSON`, a BigInt, deep or large values, a
 * cycle — answers false, and the caller serialises to measure (and to report what JSON rejects).
 */
function fitsFor(value: unknown, maxBytes: number): boolean {
  const tally = { nodes: 0, bytes: 0 };
  return walk(value, 0, tally) && tally.bytes <= maxBytes;
}

/** Adds `v`'s upper bound to `tally`; false when the walk cannot tell cheaply (see {@link fitsFor}). */
function walk(v: unknown, depth: number, tally: { nodes: number; bytes: number }): boolean {
  if (++tally.nodes > MAX_ESTIMATE_NODES || depth > MAX_ESTIMATE_DEPTH) return false;
  switch (typeof v) {
    case 'string':
      tally.bytes += v.length * 6 + 3;
      return true;
    case 'number':
      tally.bytes += 25;
      return true;
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      tally.bytes += 6;
      return true;
    case 'bigint':
      return false;
  }
  if (v === null) {
    tally.bytes += 5;
    return true;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  tally.bytes += 2;
  if (Array.isArray(v)) {
    for (const item of v) if (!walk(item, depth + 1, tally)) return false;
    return true;
  }
  for (const key in v as object) {
    if (!Object.hasOwn(v as object, key)) continue;
    tally.bytes += key.length * 6 + 4;
    if (!walk((v as Record<string, unknown>)[key], depth + 1, tally)) return false;
  }
  return true;
}

/** Parse raw arguments (a JSON string or an object) into a plain object, within a size limit. */
export function parseRawArguments(raw: unknown, maxBytes: number): Parsed {
  if (raw === undefined) return { ok: true, value: {} };
  let value: unknown = raw;
  if (typeof raw === 'string') {
    if (raw.length * 3 > maxBytes && Buffer.byteLength(raw) > maxBytes) {
      return { ok: false, message: `arguments are larger than ${maxBytes} bytes; send smaller arguments` };
    }
    if (raw.trim() === '') return { ok: true, value: {} };
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, message: 'arguments are not valid JSON; send a JSON object' };
    }
  } else if (!fitsFor(raw, maxBytes)) {
    let text: string;
    try {
      text = JSON.stringify(raw) ?? '';
    } catch {
      return { ok: false, message: 'arguments cannot be serialised as JSON; send a JSON object' };
    }
    // A UTF-16 code unit is at most 3 bytes of UTF-8: count the bytes only when that bound is too high.
    if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
      return { ok: false, message: `arguments are larger than ${maxBytes} bytes; send smaller arguments` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'arguments must be a JSON object' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(arguments)' : path.map((p) => String(p)).join('.');
}

/** Schemas that needed `safeParseAsync` (async refinements or transforms): parsed async from then on. */
const asyncSchemas = new WeakSet<z.ZodType>();

type SchemaResult = { success: true; data: unknown } | { success: false; error: z.ZodError };

/** Parse synchronously when the schema allows it (no promise per call), else asynchronously. */
function parseWith(schema: z.ZodType, value: unknown): SchemaResult | Promise<SchemaResult> {
  if (!asyncSchemas.has(schema)) {
    try {
      return schema.safeParse(value);
    } catch (error) {
      if (!(error instanceof z.core.$ZodAsyncError)) throw error;
      asyncSchemas.add(schema);
    }
  }
  return schema.safeParseAsync(value);
}

/** 4. Parse the arguments and check them against the tool's schema. */
export const parseArguments: PipelineStep = {
  name: 'schema',
  run(call) {
    const tool = call.tool!;
    const parsed = parseRawArguments(call.rawArgs, call.run.core.options.limits.maxArgumentBytes);
    if (!parsed.ok) {
      return fail('invalid_arguments', `${tool.name}: ${parsed.message}, then call again.`, call.callId, {
        issues: [{ path: [], message: parsed.message }],
      });
    }
    call.inputArgs = parsed.value;
    const result = parseWith(tool.tool.input as z.ZodType, parsed.value);
    return result instanceof Promise ? result.then((r) => afterSchema(call, r)) : afterSchema(call, result);
  },
};

function afterSchema(call: ToolCall, result: SchemaResult) {
  const tool = call.tool!;
  if (!result.success) {
    const issues = result.error.issues.slice(0, 20).map((issue) => ({
      path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
      message: issue.message,
    }));
    const text = issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    return fail(
      'invalid_arguments',
      `${tool.name}: ${text} — fix the arguments and call again.`,
      call.callId,
      {
        issues,
      },
    );
  }
  call.args = result.data;
  return undefined;
}

export function ruleContext(call: ToolCall): RuleContext {
  const { run } = call;
  return {
    runId: run.id,
    callId: call.callId,
    toolName: call.tool!.name,
    userId: run.userId,
    tenantId: run.tenantId,
    sessionId: run.sessionId,
  };
}

function toIssues(result: RuleResult, index: number): RuleIssue[] {
  if (result === true) return [];
  if (result === false) return [{ message: `rule ${index + 1} failed` }];
  const list = Array.isArray(result) ? result : [result];
  return list.map((item) =>
    typeof item === 'string'
      ? { message: item }
      : {
          ...(Array.isArray(item?.path) ? { path: item.path } : {}),
          message: String(item?.message ?? `rule ${index + 1} failed`),
        },
  );
}

/** 5. Semantic rules, in order; the first failing rule ends the call. */
export const rules: PipelineStep = {
  name: 'rules',
  run(call) {
    const list = call.tool!.tool.rules;
    return list === undefined || list.length === 0 ? undefined : checkRules(call, list);
  },
};

async function checkRules(
  call: ToolCall,
  list: ReadonlyArray<ToolRule<unknown>>,
): Promise<ToolOutcome | undefined> {
  const tool = call.tool!;
  const ctx = ruleContext(call);
  for (const [index, rule] of list.entries()) {
    let result: RuleResult;
    try {
      result = await rule(call.args, ctx);
    } catch (error) {
      call.span.span.recordException(error instanceof Error ? error : new Error(String(error)));
      return fail(
        'tool_error',
        `${tool.name}: the arguments could not be checked (a rule failed to run); do not retry this call.`,
        call.callId,
        { rule: index },
      );
    }
    const issues = toIssues(result, index);
    if (issues.length > 0) {
      const text = issues
        .map((i) => (i.path?.length ? `${formatPath(i.path)}: ${i.message}` : i.message))
        .join('; ');
      return fail(
        'rule_violation',
        `${tool.name}: ${text} — change the arguments or ask the user; do not repeat the same call.`,
        call.callId,
        { rule: index, issues },
      );
    }
  }
  return undefined;
}
