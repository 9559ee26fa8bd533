/**
 * Offering a warden's tools to an OpenAI API (`toChatCompletionsTools` / `toResponsesTools`,
 * `toAgentsTools`): which of its tools, and whether in strict mode.
 */
import { type AnyTool, type Warden, WardenConfigError } from '../../index.js';

/** `'auto'`, `true` or `false`: when tools are offered in strict mode (Structured Outputs). */
export type StrictOption = 'auto' | boolean;

/** The `strict` option, checked. @throws WardenConfigError at `${fn}.strict` for anything else. */
export function checkStrictOption(strict: StrictOption | undefined, fn: string): StrictOption {
  const mode = strict ?? 'auto';
  if (mode !== 'auto' && mode !== true && mode !== false) {
    throw new WardenConfigError({ path: `${fn}.strict`, message: "expected 'auto', true or false" });
  }
  return mode;
}

/** The error for `strict: true` and a tool strict mode cannot take. */
export function strictModeError(
  fn: string,
  toolName: string,
  reason: string,
  cause?: unknown,
): WardenConfigError {
  return new WardenConfigError({
    path: `${fn}.strict`,
    message: `tool '${toolName}' cannot use strict mode: ${reason}`,
    cause,
  });
}

/**
 * The tools to offer: `all` (the warden's tools), or the ones `names` lists, in that order.
 * @throws WardenConfigError when `all` is not a list of tools (not a warden), or at
 *   `${fn}.tools[i]` for a name that is not a tool of the warden, listing its tools.
 */
export function selectTools(
  all: Warden['tools'] | undefined,
  names: readonly string[] | undefined,
  fn: string,
): readonly AnyTool[] {
  if (!Array.isArray(all)) {
    throw new WardenConfigError({
      path: `${fn}(warden)`,
      message: 'expected a warden made with createWarden',
    });
  }
  if (names === undefined) return all;
  const byName = new Map(all.map((t) => [t.name, t]));
  return names.map((name, i) => {
    const tool = byName.get(name);
    if (!tool) {
      throw new WardenConfigError({
        path: `${fn}.tools[${i}]`,
        message: `'${name}' is not a tool of this warden; its tools are: ${[...byName.keys()].join(', ') || '(none)'}`,
      });
    }
    return tool;
  });
}
