import { AsyncLocalStorage } from 'node:async_hooks';
import type { RunContext } from '@openai/agents';

/** What the Agents SDK handed a tool made by `toAgentsTools` for the call in progress. */
export interface AgentsInvocation {
  /** The SDK run's context (the app's `context` object lives on it). */
  readonly runContext: RunContext<unknown> | undefined;
  /** The SDK's call details: the `function_call` item (with its `callId`) and the SDK's signal. */
  readonly details: AgentsToolCallDetails | undefined;
}

/** The part of the SDK's `ToolCallDetails` the adapter reads and passes on. */
export interface AgentsToolCallDetails {
  toolCall?: { callId?: string; [key: string]: unknown } | undefined;
  signal?: AbortSignal | undefined;
}

const storage = new AsyncLocalStorage<AgentsInvocation>();

/**
 * Run `fn` (the warden's guard pipeline for one call) with the SDK invocation as context, so a tool
 * made by `fromAgentsTools` can hand the original SDK tool the same `RunContext` and call details.
 */
export function withInvocation<T>(invocation: AgentsInvocation, fn: () => T): T {
  return storage.run(invocation, fn);
}

/** The SDK invocation the current guarded call came from, if it came from the Agents SDK. */
export function currentInvocation(): AgentsInvocation | undefined {
  return storage.getStore();
}
