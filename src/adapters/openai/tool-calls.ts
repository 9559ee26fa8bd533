import type OpenAI from 'openai';
import { type Run, RunStop, type ToolOutcome, WardenConfigError } from '../../index.js';
import { assertRun } from './assert-run.js';

type ChatToolCall = OpenAI.Chat.Completions.ChatCompletionMessageToolCall;
type ToolMessage = OpenAI.Chat.Completions.ChatCompletionToolMessageParam & { content: string };
type OutputItem = OpenAI.Responses.ResponseOutputItem;
type FunctionCallOutput = OpenAI.Responses.ResponseInputItem.FunctionCallOutput & { output: string };
type CustomToolCallOutput = OpenAI.Responses.ResponseCustomToolCallOutput & { output: string };

/** One call, reduced to what the guard pipeline needs. */
interface PendingCall {
  id: string;
  name: string;
  args: unknown;
  custom: boolean;
}

/**
 * Run every call through `run.tool()` at once, and wait for all of them before returning, so no call
 * is still running when this returns or throws. Outcomes come back in call order. When a call stops
 * the run, the `RunStop` is rethrown (after the other calls settled) so the loop unwinds.
 */
async function runAll(run: Run, calls: readonly PendingCall[]): Promise<ToolOutcome[]> {
  const settled = await Promise.allSettled(
    calls.map((call) => run.tool(call.name, call.args, call.id ? { callId: call.id } : {})),
  );
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((e) => RunStop.isInstance(e)) ?? failures[0];
  return settled.map((s) => (s as PromiseFulfilledResult<ToolOutcome>).value);
}

function listOf<T>(fn: string, what: string, value: readonly T[] | null | undefined): readonly T[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new WardenConfigError({
      path: `${fn}(${what})`,
      message: `expected an array (${what}), null or undefined`,
    });
  }
  return value;
}

function unsupported(fn: string, index: number, type: unknown): never {
  throw new WardenConfigError({
    path: `${fn}(message.tool_calls)[${index}]`,
    message: `unsupported tool call type ${JSON.stringify(type)}; expected 'function' or 'custom'`,
  });
}

/**
 * Run the tool calls of a Chat Completions assistant message through the warden and return the
 * `role: 'tool'` messages to append, one per call, in call order.
 *
 * Calls of one message run concurrently (OpenAI's parallel tool calls). Each goes through the whole
 * guard pipeline with the provider's call id as `callId`; whatever the outcome, its `forModel()` text
 * is the message content, so a refused or failed call reaches the model as a normal tool result it
 * can act on. A `RunStop` (budget, kill, loop, abort) is thrown once every call has settled.
 *
 * Custom (free-form) tool calls are run as the warden tool of the same name with the arguments
 * `{ input: <the model's text> }`.
 *
 * @example
 * ```ts
 * messages.push(message, ...(await runToolCalls(run, message.tool_calls)));
 * ```
 */
export async function runToolCalls(
  run: Run,
  toolCalls: readonly ChatToolCall[] | null | undefined,
): Promise<ToolMessage[]> {
  assertRun(run, 'runToolCalls');
  const calls = listOf('runToolCalls', 'message.tool_calls', toolCalls).map((call, i): PendingCall => {
    if (call?.type === 'function') {
      return { id: call.id, name: call.function.name, args: call.function.arguments, custom: false };
    }
    if (call?.type === 'custom') {
      return { id: call.id, name: call.custom.name, args: { input: call.custom.input }, custom: true };
    }
    return unsupported('runToolCalls', i, (call as { type?: unknown } | null)?.type);
  });
  const outcomes = await runAll(run, calls);
  return calls.map((call, i) => ({ role: 'tool', tool_call_id: call.id, content: outcomes[i]!.forModel() }));
}

/**
 * Run the `function_call` (and `custom_tool_call`) items of a Responses API output through the
 * warden and return the `function_call_output` (`custom_tool_call_output`) items to send back as
 * `input`, one per call, in output order. Other items (messages, reasoning, built-in tools) are skipped.
 *
 * Calls run concurrently, each through the whole guard pipeline with the provider's `call_id` as
 * `callId`; every outcome's `forModel()` text is the output. A `RunStop` is thrown once every call
 * has settled.
 *
 * @example
 * ```ts
 * const outputs = await runFunctionCalls(run, response.output);
 * input.push(...response.output, ...outputs);
 * ```
 */
export async function runFunctionCalls(
  run: Run,
  output: readonly OutputItem[] | null | undefined,
): Promise<Array<FunctionCallOutput | CustomToolCallOutput>> {
  assertRun(run, 'runFunctionCalls');
  const calls: PendingCall[] = [];
  for (const item of listOf('runFunctionCalls', 'response.output', output)) {
    if (item?.type === 'function_call') {
      calls.push({ id: item.call_id, name: item.name, args: item.arguments, custom: false });
    } else if (item?.type === 'custom_tool_call') {
      calls.push({ id: item.call_id, name: item.name, args: { input: item.input }, custom: true });
    }
  }
  const outcomes = await runAll(run, calls);
  return calls.map((call, i) => {
    const text = outcomes[i]!.forModel();
    return call.custom
      ? { type: 'custom_tool_call_output', call_id: call.id, output: text }
      : { type: 'function_call_output', call_id: call.id, output: text };
  });
}
