import { AsyncLocalStorage } from 'node:async_hooks';
import type { ToolExecutionOptions } from 'ai';
import { linkSignals } from '../shared/signals.js';

/** What the AI SDK handed the guarded tool's `execute`, for the original tool's `execute`. */
export type AiSdkExecutionOptions = ToolExecutionOptions<unknown>;

const storage = new AsyncLocalStorage<AiSdkExecutionOptions>();

/**
 * Run `fn` (the warden's pipeline) with the AI SDK's execution options of one tool call
 * available to the tool it ends up executing.
 */
export function withExecutionOptions<T>(options: AiSdkExecutionOptions, fn: () => T): T {
  return storage.run(options, fn);
}

/**
 * The options to call an AI SDK tool's own `execute` with: the AI SDK's (messages, context,
 * sandbox) when the call came through `toAiSdkTools`, else an empty conversation. The abort signal
 * is the warden's per-attempt `signal` (timeout, run stop) when given, linked to the AI SDK's.
 */
export function executionOptionsFor(callId: string, signal?: AbortSignal): AiSdkExecutionOptions {
  const outer = storage.getStore();
  if (outer && outer.toolCallId === callId) {
    return { ...outer, abortSignal: linkSignals(signal, outer.abortSignal) };
  }
  return { toolCallId: callId, messages: [], abortSignal: signal, context: undefined };
}
