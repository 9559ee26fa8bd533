import { hashValue } from '../internal/hash.js';
import type { ToolCall } from './call.js';

/** The canonical hash of a call's validated arguments (computed once, on demand). */
export function argsHashOf(call: ToolCall): string | undefined {
  if (call.args === undefined) return undefined;
  call.argsHash ??= hashValue(call.args);
  return call.argsHash;
}
