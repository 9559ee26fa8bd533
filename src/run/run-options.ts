import { z } from 'zod';
import { WardenConfigError } from '../errors.js';
import { configErrorFrom, type ResolvedRunBudget, runBudgetSchema } from '../options.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { RunOptions } from './types.js';

const id = (what: string) =>
  z
    .string({ error: `expected a string ${what}` })
    .min(1, `expected a non-empty ${what}`)
    .max(256, `${what} is longer than 256 characters`);

const runOptionsSchema = z.strictObject(
  {
    userId: id('user id').optional(),
    tenantId: id('tenant id').optional(),
    sessionId: id('session id').optional(),
    tools: z.array(z.string(), { error: 'expected an array of tool names' }).optional(),
    budgets: runBudgetSchema.optional(),
    approvals: z.array(z.string(), { error: 'expected an array of approval tokens' }).max(100).optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
  },
  { error: 'expected run options { userId?, tenantId?, sessionId?, tools?, budgets?, approvals?, signal? }' },
);

export interface ResolvedRunOptions {
  userId: string | undefined;
  tenantId: string | undefined;
  sessionId: string | undefined;
  allowed: ReadonlySet<string> | null;
  limits: ResolvedRunBudget;
  approvals: readonly string[];
  signal: AbortSignal | undefined;
}

/** Validate run options; per-run budgets can only tighten the warden's. */
export function resolveRunOptions(
  input: RunOptions | undefined,
  defaults: ResolvedRunBudget,
  registry: ToolRegistry,
): ResolvedRunOptions {
  const parsed = runOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw configErrorFrom(parsed.error, 'run', runOptionsSchema);
  const o = input ?? {};
  let allowed: Set<string> | null = null;
  if (o.tools) {
    allowed = new Set();
    o.tools.forEach((name, i) => {
      if (!registry.has(name)) {
        throw new WardenConfigError({
          path: `run.tools[${i}]`,
          message: `'${name}' is not a tool of this warden; registered tools: ${registry.names.join(', ') || '(none)'}`,
        });
      }
      allowed!.add(name);
    });
  }
  const b = o.budgets ?? {};
  const tighter = (base: number, override: number | undefined) =>
    override === undefined ? base : Math.min(base, override);
  const limits: ResolvedRunBudget = {
    steps: tighter(defaults.steps, b.steps),
    toolCalls: tighter(defaults.toolCalls, b.toolCalls),
    tokens: tighter(defaults.tokens, b.tokens),
    durationMs: tighter(defaults.durationMs, b.durationMs),
    costUsd:
      defaults.costUsd === undefined
        ? b.costUsd
        : b.costUsd === undefined
          ? defaults.costUsd
          : Math.min(defaults.costUsd, b.costUsd),
  };
  return {
    userId: o.userId,
    tenantId: o.tenantId,
    sessionId: o.sessionId,
    allowed,
    limits,
    approvals: [...(o.approvals ?? [])],
    signal: o.signal,
  };
}
