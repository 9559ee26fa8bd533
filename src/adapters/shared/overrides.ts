/**
 * Guard overrides: the guard options an adapter adds, per tool name, to tools that come from a
 * framework (`fromOpenAITools`, `fromAgentsTools`, `fromLangChainTools`, `fromAiSdkTools`). The
 * framework tool gives the name, description, input and execute; an override gives the rest.
 */
import type { z } from 'zod';
import { type ToolDefinition, WardenConfigError } from '../../index.js';

/** The guard options an override may set on a framework tool (see `defineTool`). */
export const GUARD_OPTION_KEYS = Object.freeze([
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
] as const);

/** One guard option key. */
export type GuardOptionKey = (typeof GUARD_OPTION_KEYS)[number];

/**
 * The guard options for one framework tool, typed by the tool's parsed arguments and output:
 * `effect`, `approval`, `rules`, `timeoutMs`, `retry`, `breaker`, `idempotency`, `output`,
 * `summarize`, `fallback`. Anything left out gets `defineTool`'s fail-closed default (notably
 * `effect: 'write'`).
 */
export type GuardOverrides<Args = any, Output = any> = Pick<
  ToolDefinition<z.ZodType<Args>, Output>,
  GuardOptionKey
>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quoted(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(', ');
}

/**
 * Check that `map` is an object whose every key names one of `toolNames`. Throws a
 * `WardenConfigError` at `path` for anything else, or at `${path}.${name}` for the first name that
 * is not a tool, listing every such name and the tools there are.
 */
export function checkToolNames(map: unknown, toolNames: readonly string[], path: string): void {
  if (!isPlainObject(map)) {
    throw new WardenConfigError({ path, message: 'expected an object keyed by tool name' });
  }
  const known = new Set(toolNames);
  const unknown = Object.keys(map).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new WardenConfigError({
      path: `${path}.${unknown[0]}`,
      message:
        `${quoted(unknown)} ${unknown.length === 1 ? 'is' : 'are'} not among the tools; ` +
        `the tools are: ${toolNames.join(', ') || '(none)'}`,
    });
  }
}

/**
 * Check an overrides map (`{ [toolName]: guard options }`) against the tools it applies to, and
 * return the overrides by tool name. `undefined` (no map) is no overrides, and a tool whose override
 * is `undefined` has none. Every key must name one of `toolNames`, and every override must be an
 * object of guard options (`GUARD_OPTION_KEYS`, plus the adapter's `extraKeys`). The values of the
 * options are checked later, by `defineTool`.
 *
 * @param path where the overrides were passed, e.g. `'fromOpenAITools(overrides)'`.
 * @throws WardenConfigError naming the unknown tool (and the tools there are) or the unknown option
 *   (and the options accepted).
 */
export function checkOverrides<Override extends object = GuardOverrides>(
  overrides: unknown,
  toolNames: readonly string[],
  path: string,
  extraKeys: readonly string[] = [],
): ReadonlyMap<string, Override> {
  const byName = new Map<string, Override>();
  if (overrides === undefined) return byName;
  if (!isPlainObject(overrides)) {
    throw new WardenConfigError({
      path,
      message: 'expected an object keyed by tool name: { [toolName]: { effect?, approval?, rules?, ... } }',
    });
  }
  checkToolNames(overrides, toolNames, path);
  const accepted = [...GUARD_OPTION_KEYS, ...extraKeys];
  for (const [name, override] of Object.entries(overrides)) {
    if (override === undefined) continue;
    if (!isPlainObject(override)) {
      throw new WardenConfigError({
        path: `${path}.${name}`,
        message: `expected an object with some of the guard options: ${accepted.join(', ')}`,
      });
    }
    const unknown = Object.keys(override).find((key) => !accepted.includes(key));
    if (unknown !== undefined) {
      throw new WardenConfigError({
        path: `${path}.${name}.${unknown}`,
        message: `not a guard option; accepted: ${accepted.join(', ')}`,
      });
    }
    byName.set(name, override as Override);
  }
  return byName;
}
