import { canonicalJson } from '../../internal/canonical-json.js';
import { sha256Hex } from '../../internal/hash.js';
import { ATTR, SPAN_EVENT } from '../../telemetry/attributes.js';
import { argsHashOf, canonicalArgsOf } from '../args-hash.js';
import type { PipelineStep, ToolCall } from '../call.js';
import type { ToolOutcome } from '../outcome.js';
import { flushFirst } from './prechecks.js';

interface LoopState {
  signature: string | null;
  count: number;
}

const KEY = 'loops';

function stateOf(call: ToolCall): LoopState {
  let state = call.run.stepState.get(KEY) as LoopState | undefined;
  if (!state) {
    state = { signature: null, count: 0 };
    call.run.stepState.set(KEY, state);
  }
  return state;
}

/** A signature of arguments that never passed validation: canonical when they parse, else the raw text. */
function rawSignature(raw: unknown): string {
  try {
    const value = typeof raw === 'string' ? JSON.parse(raw) : raw;
    return sha256Hex(canonicalJson(value));
  } catch {
    return sha256Hex(typeof raw === 'string' ? raw.trim() : String(raw));
  }
}

/** Canonical arguments up to this length are compared as they are; longer ones by their hash. */
const MAX_PLAIN_SIGNATURE = 256;

/**
 * The call's identity for loop detection: tool name and canonical arguments (their hash when long, so
 * a run keeps at most a short string; a hash is computed only then).
 */
function signatureOf(call: ToolCall): string {
  call.loopSignature ??= computeSignature(call);
  return call.loopSignature;
}

function computeSignature(call: ToolCall): string {
  const name = typeof call.name === 'string' ? call.name : String(call.name);
  const canonical = canonicalArgsOf(call);
  if (canonical === undefined) return `${name}\n#${rawSignature(call.rawArgs)}`;
  if (canonical.length <= MAX_PLAIN_SIGNATURE) return `${name}\n=${canonical}`;
  return `${name}\n#${argsHashOf(call)}`;
}

/**
 * Count identical consecutive calls. At `maxRepeats` a warning (audit
 * `loop_warning`, span event); past it the run stops with `loop_detected`.
 */
export function observeCall(call: ToolCall): void {
  if (call.loopObserved) return;
  call.loopObserved = true;
  const { run } = call;
  const state = stateOf(call);
  const signature = signatureOf(call);
  state.count = state.signature === signature ? state.count + 1 : 1;
  state.signature = signature;
  const max = run.core.options.loops.maxRepeats;
  const tool = typeof call.name === 'string' ? call.name.slice(0, 64) : String(call.name);
  if (state.count === max) {
    run.core.audit.emit(run.identity, { type: 'loop_warning', tool, repeats: state.count });
    run.span.span.addEvent(SPAN_EVENT.LOOP_WARNING, {
      [ATTR.GEN_AI_TOOL_NAME]: tool,
      [ATTR.WARDEN_LOOP_REPEATS]: state.count,
    });
  } else if (state.count > max) {
    run.stop(
      { code: 'loop_detected', tool, repeats: state.count },
      `the same call to '${tool}' was made ${state.count} times in a row; the run stops (loops.maxRepeats = ${max})`,
    );
  }
}

/** Whether observing this call now would warn or stop (it changes nothing). */
function loopDue(call: ToolCall): boolean {
  const state = stateOf(call);
  const count = state.signature === signatureOf(call) ? state.count + 1 : 1;
  return count >= call.run.core.options.loops.maxRepeats;
}

/** 6. Loop detection: identical canonical calls in a row. */
export const loops: PipelineStep = {
  name: 'loops',
  run(call) {
    // A warning or a stop is visible: the kill and budget checks of steps 1 and 3 answer first.
    if (call.deferred && loopDue(call)) return flushThenObserve(call);
    observeCall(call);
    return undefined;
  },
};

async function flushThenObserve(call: ToolCall): Promise<ToolOutcome | undefined> {
  const outcome = await flushFirst(call);
  if (outcome) return outcome;
  observeCall(call);
  return undefined;
}
