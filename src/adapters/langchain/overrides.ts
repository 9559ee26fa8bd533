import type { z } from 'zod';
import { WardenConfigError } from '../../errors.js';
import type { ToolDefinition } from '../../tools/define-tool.js';

/** The guard options an override may set on a framework tool. */
export const GUARD_OPTION_KEYS = [
  'effect',
  'approval',
  'rules',
  'timeoutMs',
  'retry',
  'breaker',
  'idempotency',
  'output',
  'summarize',
  'fallback',
] as const;

/**
 * Guard options added to an existing LangChain tool: `effect`, `approval`, `rules`, `timeoutMs`,
 * `retry`, `breaker`, `idempotency`, `output`, `summarize`, `fallback` — with the defaults of
 * `defineTool` (notably `effect: 'write'`) for anything left out. `Args` is the tool's parsed input.
 */
export type LangChainToolOverride<Args = Record<string, unknown>> = Pick<
  ToolDefinition<z.ZodType<Args>, unknown>,
  (typeof GUARD_OPTION_KEYS)[number]
>;

/**
 * Check an overrides map against the tools it applies to: every key must name one of the tools, and
 * every value must be an object of guard options. Throws `WardenConfigError` naming what is wrong.
 */
export function checkOverrides(
  overrides: unknown,
  toolNames: readonly string[],
  path: string,
): Readonly<Record<string, Record<string, unknown>>> {
  if (overrides === undefined) return {};
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new WardenConfigError({ path, message: 'expected an object { [toolName]: guard options }' });
  }
  const known = new Set(toolNames);
  const unknown = Object.keys(overrides).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new WardenConfigError({
      path,
      message:
        `no tool named ${unknown.map((n) => `'${n}'`).join(', ')} in the tool list ` +
        `(tools: ${toolNames.map((n) => `'${n}'`).join(', ') || 'none'})`,
    });
  }
  const allowed = new Set<string>(GUARD_OPTION_KEYS);
  for (const [name, value] of Object.entries(overrides)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new WardenConfigError({
        path: `${path}.${name}`,
        message: 'expected an object of guard options',
      });
    }
    const extra = Object.keys(value).filter((key) => !allowed.has(key));
    if (extra.length > 0) {
      throw new WardenConfigError({
        path: `${path}.${name}.${extra[0]}`,
        message: `not a guard option; expected one of ${GUARD_OPTION_KEYS.join(', ')}`,
      });
    }
  }
  return overrides as Record<string, Record<string, unknown>>;
}
