import { canonicalJson } from '../internal/canonical-json.js';
import { sha256Hex } from '../internal/hash.js';
import type { ToolCall } from './call.js';

/** The canonical JSON of a call's validated arguments (computed once, on demand). */
export function canonicalArgsOf(call: ToolCall): string | undefined {
  if (call.args === undefined) return undefined;
  call.canonicalArgs ??= canonicalJson(call.args);
  return call.canonicalArgs;
}

/** The hash of a call's canonical arguments (computed once, on demand). */
export function argsHashOf(call: ToolCall): string | undefined {
  if (call.argsHash !== undefined) return call.argsHash;
  const canonical = canonicalArgsOf(call);
  if (canonical === undefined) return undefined;
  call.argsHash = sha256Hex(canonical);
  return call.argsHash;
}
